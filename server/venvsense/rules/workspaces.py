"""A uv workspace's members import one another: a member that declares another with a workspace source
(``core = { workspace = true }`` in ``[tool.uv.sources]``, read as an editable declaration) imports the
workspace's own code, which ``uv sync`` installs editable into the shared venv — judged as any declaration (when
the venv lacks it, VS201/VS301 say the venv is not in sync); a member that imports another without declaring it
gets VS302 saying which member the module belongs to and how to declare it (also when the venv lacks it: the
missing declaration is the problem). Without a venv, the members point at the workspace's root. The workspace
(``classify.members.Workspace``) is found statically.

What the workspace's own ``uv sync`` installs is not "undeclared": at a virtual root (no ``[project]``: uv syncs
every member), the members and what they declare (autogen's ``python/samples`` import ``autogen_core``); in a
member's tests, docs and scripts, what the root's default dependency groups declare (``pytest`` in the root's
``dev`` group for every member's tests)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name

from venvsense.caches import MemoryCache
from venvsense.classify.members import Workspace
from venvsense.declarations import Declaration
from venvsense.findings import Finding, make
from venvsense.model import Scopes, relative_path
from venvsense.text import START, lazy_pattern
from venvsense.tomlfile import TomlFile, read_toml

_REQUIREMENT_NAME = lazy_pattern(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")

_IMPORT_CODES = frozenset({"VS301", "VS302"})


def _no_venv(workspace: Workspace, root: Path, found: list[Finding]) -> list[Finding]:
    """Without a venv: a member's VS101 points at the workspace's root (the members share the venv there); the
    root says it once even when it declares nothing itself."""
    names = ", ".join(m.name for m in workspace.members[:6]) + (" …" if len(workspace.members) > 6 else "")
    shown = relative_path(workspace.root, root, climb=True)
    if workspace.member is not None:
        return [replace(finding, message=(
                    f"this workspace's members share one venv at its root ({shown}) and there is none: create it "
                    f"there (`uv sync` or `venvsense create` in {shown})"),
                    data={**finding.data, "workspace_root": str(workspace.root)})
                if finding.code == "VS101" else finding for finding in found]
    if any(finding.code == "VS101" for finding in found):
        return found
    return [*found, make("VS101", f"this workspace's members ({names}) share one venv here and there is none: "
                         "create it with `venvsense create` (or `uv sync`)", root / "pyproject.toml", START)]


def _names(values: object) -> set[str]:
    """The normalized distribution names of a list of requirement strings (others skipped)."""
    names: set[str] = set()
    for value in values if isinstance(values, list) else ():
        if isinstance(value, str):
            name = _REQUIREMENT_NAME().match(value)
            if name is not None:
                names.add(canonicalize_name(name.group(1)))
    return names


def _root_pyproject(workspace: Workspace, own: TomlFile | None) -> TomlFile:
    return own if own is not None and workspace.member is None else read_toml(workspace.root / "pyproject.toml")


def _installed_by_sync(workspace: Workspace, root_pyproject: TomlFile) -> set[str]:
    """At a virtual workspace root (no ``[project]``), what ``uv sync`` installs besides the root's groups: every
    member and every member's ``[project] dependencies`` (uv syncs the whole workspace when the root is no
    project); empty at a root that is a project (it syncs the root's own dependencies)."""
    if root_pyproject.data is None or "project" in root_pyproject.data:
        return set()
    names = {member.name for member in workspace.members}
    for member in workspace.members:
        names |= _member_dependencies(member.folder / "pyproject.toml")
    return names


# each member's [project] dependencies by its pyproject.toml's state: a workspace of 20 projects reads each once
_MEMBER_DEPENDENCIES: MemoryCache[tuple[str, int, int], frozenset[str]] = MemoryCache(
    name="rules.workspaces.member_dependencies",
    key="a member's pyproject.toml path, mtime and size",
    invalidation="a changed file has another key",
    owner="the process: every project of a workspace, and each re-check, reads a member's file once",
    limit=256,
)


def _member_dependencies(path: Path) -> frozenset[str]:
    try:
        status = os.stat(path)
    except OSError:
        return frozenset()
    key = (os.fspath(path), status.st_mtime_ns, status.st_size)
    return _MEMBER_DEPENDENCIES.get_or_make(
        key, lambda: frozenset(_names(read_toml(path).table("project").get("dependencies"))))


def _root_groups(root_pyproject: TomlFile) -> set[str]:
    """What the workspace root's dependency groups that ``uv sync`` installs by default declare (``dev``, or
    ``[tool.uv] default-groups``): the workspace's shared development tools (pytest for every member's tests)."""
    groups = root_pyproject.table("dependency-groups")
    chosen = root_pyproject.table("tool", "uv").get("default-groups", ["dev"])
    wanted = list(groups) if chosen == "all" else chosen if isinstance(chosen, list) else ["dev"]
    names: set[str] = set()
    for group in wanted:
        if isinstance(group, str):
            names |= _names(groups.get(group))
    return names


def _served_by_workspace(finding: Finding, workspace: Workspace, sync: set[str], groups: set[str],
                         scopes: Scopes | None) -> bool:
    """Whether an undeclared import is one the workspace's own ``uv sync`` provides: at a virtual root, anything a
    member is or declares; in a member's tests, docs or scripts, that or what the root's default groups declare
    (a member's package code still declares what it imports: it is published alone)."""
    if finding.code != "VS302" or finding.package is None:
        return False
    package = canonicalize_name(finding.package)
    if workspace.member is None:
        return package in sync
    return (package in groups or package in sync) and scopes is not None and scopes.of(finding.file) != "package"


def workspace_findings(workspace: Workspace | None, declarations: list[Declaration], found: list[Finding], *,
                       root: Path, has_venv: bool, pyproject_toml: TomlFile | None = None,
                       scopes: Scopes | None = None) -> list[Finding]:
    """``found`` with the findings about workspace members judged as the module says (``root``: the project's
    folder; ``has_venv``: whether it has a venv; ``pyproject_toml``: the project's own, as the check read it;
    ``scopes``: which part of the project each file is)."""
    if workspace is None or not workspace.members:
        return found
    if not has_venv:
        found = _no_venv(workspace, root, found)
    root_pyproject = _root_pyproject(workspace, pyproject_toml)
    sync, groups = _installed_by_sync(workspace, root_pyproject), _root_groups(root_pyproject)
    if sync or groups:
        found = [f for f in found if not _served_by_workspace(f, workspace, sync, groups, scopes)]
    named = {d.normalized for d in declarations if d.normalized}
    own = workspace.member.name if workspace.member is not None else None
    kept: list[Finding] = []
    for finding in found:
        module = finding.data.get("module")
        if finding.code not in _IMPORT_CODES or not isinstance(module, str):
            kept.append(finding)
            continue
        member = workspace.providing(module)
        if member is None or member.name == own:
            kept.append(finding)
            continue
        if member.name in named:
            kept.append(finding)  # declared (from the workspace or an index): judged as any distribution
            continue
        where = relative_path(member.folder, workspace.root)
        if finding.code == "VS302" and finding.severity < make("VS302", "", finding.file, finding.range).severity:
            weaker = finding.severity  # an optional import keeps its weaker level
        else:
            weaker = None
        undeclared = make(
            "VS302", f"'{module}' is workspace member {member.name}'s ({where}) but this project does not declare "
            f"it: add {member.name} to its dependencies and `{member.name} = {{ workspace = true }}` to "
            "[tool.uv.sources]",
            finding.file, finding.range, package=member.name, module=module, distribution=member.name,
            workspace_member=str(member.folder))
        kept.append(undeclared if weaker is None else replace(undeclared, severity=weaker))
    return kept
