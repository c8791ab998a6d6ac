"""Text edits that fix a manifest, computed from its text and never written by this module: rewrite a
declared specifier to accept the installed version (VS202), add a requirement to a requirements file or to
``pyproject.toml`` (VS301, VS302).

Only the span that has to change is replaced, so extras, markers, comments, quoting and formatting stay as
they were. A changed specifier becomes ``pkg==<installed>`` in a requirements file (a pin, as requirements
files usually are) and ``pkg>=<installed>`` in ``pyproject.toml`` and ``setup.cfg`` (a floor, as libraries
declare). ``pyproject.toml`` is edited with tomlkit, which keeps comments and formatting, then reduced to the
one span that differs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.declarations import Declaration
from venvsense.text import Range, UnreadableFile, lazy_pattern, line_starts, offset_of, position_of, read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_NAME = lazy_pattern(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_EXTRAS = lazy_pattern(r"\s*\[[^\]]*\]")


@dataclass(frozen=True)
class TextEdit:
    """Replace ``range`` of ``file`` with ``new_text`` (0-based lines, code-point columns, end exclusive)."""

    file: Path
    range: Range
    new_text: str
    description: str


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """``text`` with the edits applied (they must not overlap); for tests and for callers that write files."""
    starts = line_starts(text)
    spans = sorted(((offset_of(text, e.range.start, starts), offset_of(text, e.range.end, starts), e.new_text)
                    for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def _edit(file: Path, text: str, start: int, end: int, new_text: str, description: str) -> TextEdit:
    """An edit given as code-point offsets into ``text``."""
    starts = line_starts(text)
    return TextEdit(file, Range(position_of(text, start, starts), position_of(text, end, starts)), new_text,
                    description)


# --- changing a specifier (VS202) -----------------------------------------------------------------------


def _specifier_span(segment: str) -> tuple[int, int] | None:
    """Where the version specifier is inside a requirement's text: after name and extras, before a marker,
    comment or option. ``None`` for a URL requirement (``name @ url``), which has no specifier to rewrite."""
    name = _NAME().match(segment)
    if not name:
        return None
    start = name.end()
    extras = _EXTRAS().match(segment, start)
    if extras:
        start = extras.end()
    end = len(segment)
    for delimiter in (";", " #", "\t#", " --", "\t--", " \\"):
        found = segment.find(delimiter, start)
        if found != -1:
            end = min(end, found)
    body = segment[start:end]
    if "@" in body:
        return None
    stripped = body.rstrip()
    if not stripped.strip():
        return (start, start)
    return (start, start + len(stripped))


def specifier_edit(declaration: Declaration, installed: str, text: str | None = None) -> TextEdit | None:
    """An edit making ``declaration`` accept the ``installed`` version, or ``None`` when its text cannot be
    rewritten safely (a URL, a Poetry table entry, an escaped TOML string, a file that changed)."""
    try:
        Version(installed)
    except InvalidVersion:
        return None
    if declaration.kind != "registry":
        return None
    if text is None:
        try:
            text = read_text(declaration.file)
        except UnreadableFile:
            return None
    starts = line_starts(text)
    begin = offset_of(text, declaration.range.start, starts)
    end = offset_of(text, declaration.range.end, starts)
    segment = text[begin:end]
    pin = declaration.file.name.endswith((".txt", ".in")) or not declaration.file.name.endswith(
        ("pyproject.toml", "setup.cfg"))
    if segment[:1] in ("'", '"'):  # a TOML string with its quotes
        quote = segment[0]
        if len(segment) < 2 or segment[-1] != quote or "\\" in segment:
            return None
        begin, segment = begin + 1, segment[1:-1]
    elif "\\" in segment and not pin:
        return None
    span = _specifier_span(segment)
    if span is None:
        return None
    name = _NAME().match(segment)
    if name is None or canonicalize_name(name.group(1)) != declaration.normalized:
        return None  # the text under the range is not this declaration (e.g. a Poetry `name = "^1.0"` entry)
    operator = "==" if pin else ">="
    new = f"{operator}{installed}"
    rewritten = segment[: span[0]] + new + segment[span[1]:]
    try:
        requirement = Requirement(rewritten.split(" #")[0].split(" --")[0].strip().rstrip("\\").strip())
    except InvalidRequirement:
        return None
    if not requirement.specifier.contains(installed, prereleases=True):
        return None
    start = position_of(text, begin + span[0], starts)
    stop = position_of(text, begin + span[1], starts)
    old = segment[span[0]: span[1]].strip() or "(none)"
    return TextEdit(declaration.file, Range(start, stop), new,
                    f"change {declaration.name}'s specifier {old} to {new} (the installed version)")


# --- adding a requirement (VS301, VS302) ----------------------------------------------------------------


def _minimal_span(old: str, new: str) -> tuple[int, int, str] | None:
    """The one span ``(start, end, new_text)`` of ``old`` that turns it into ``new``; ``None`` when equal."""
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix, new[prefix:len(new) - suffix]


def add_to_requirements(file: Path, text: str, requirement: str) -> TextEdit:
    """Append ``requirement`` as a new last line of a requirements file whose text is ``text``."""
    lead = "" if not text or text.endswith("\n") else "\n"
    return _edit(file, text, len(text), len(text), f"{lead}{requirement}\n", f"add {requirement} to {file.name}")


def declares(text: str, name: str) -> bool:
    """Whether ``[project] dependencies`` of a pyproject text already names ``name``."""
    facts = _project_dependencies(text)
    return facts is not None and canonicalize_name(name) in facts[1]


def can_add_to_pyproject(text: str) -> bool:
    """Whether ``add_to_pyproject`` makes an edit for this text: it has a ``[project]`` table whose
    ``dependencies`` are a list or absent, not ``dynamic`` (read without making the edit)."""
    facts = _project_dependencies(text)
    return facts is not None and facts[0]


@functools.lru_cache(maxsize=8)
def _project_dependencies(text: str) -> tuple[bool, frozenset[str]] | None:
    """Of a pyproject text (``None``: not TOML, or no ``[project]`` table): whether a requirement can be added to
    ``[project] dependencies``, and the canonical names it declares there. Parsed once per text (``tomllib``:
    only read, never written back); an editor asks for every problem of the status."""
    try:
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return None
    project = document.get("project")
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic")
    deps = project.get("dependencies")
    addable = not (isinstance(dynamic, list) and "dependencies" in dynamic) and (deps is None or isinstance(deps, list))
    names: set[str] = set()
    for item in deps if isinstance(deps, list) else ():
        try:
            names.add(canonicalize_name(Requirement(str(item)).name))
        except InvalidRequirement:
            continue
    return addable, frozenset(names)


def add_to_pyproject(file: Path, text: str, requirement: str) -> TextEdit | None:
    """Add ``requirement`` to ``[project] dependencies`` (created when absent); ``None`` when the pyproject has
    no ``[project]`` table, declares its dependencies ``dynamic``, or cannot be parsed."""
    import tomlkit  # (only here: the check's text output and the status name this edit without making it)
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
    except TOMLKitError:
        return None
    project = document.get("project")
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list) and "dependencies" in dynamic:
        return None
    deps = project.get("dependencies")
    if deps is None:
        project["dependencies"] = [requirement]
    elif isinstance(deps, list):
        deps.append(requirement)
    else:
        return None
    span = _minimal_span(text, tomlkit.dumps(document))
    if span is None:
        return None
    start, end, new_text = span
    return _edit(file, text, start, end, new_text, f"add {requirement} to {file.name}")
