"""A uv workspace's members import one another: a member that declares another with a workspace source
(``core = { workspace = true }`` in ``[tool.uv.sources]``, read as an editable declaration) imports the
workspace's own code, which ``uv sync`` installs editable into the shared venv — judged as any declaration (when
the venv lacks it, VS201/VS301 say the venv is not in sync); a member that imports another without declaring it
gets VS302 saying which member the module belongs to and how to declare it (also when the venv lacks it: the
missing declaration is the problem). Without a venv, the members point at the workspace's root. The workspace
(``classify.members.Workspace``) is found statically."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from venvsense.classify.members import Workspace
from venvsense.declarations import Declaration
from venvsense.findings import Finding, make
from venvsense.model import relative_path
from venvsense.text import START

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


def workspace_findings(workspace: Workspace | None, declarations: list[Declaration], found: list[Finding], *,
                       root: Path, has_venv: bool) -> list[Finding]:
    """``found`` with the findings about workspace members judged as the module says (``root``: the project's
    folder; ``has_venv``: whether it has a venv)."""
    if workspace is None or not workspace.members:
        return found
    if not has_venv:
        found = _no_venv(workspace, root, found)
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
