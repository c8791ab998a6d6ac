"""``venvsense check``'s text for people: findings grouped by project under one line naming the project and its
environment, each with its severity (in colour on a terminal), the imports of a declaration set that is not
installed as one problem per set, and a summary line with what ``venvsense fix`` would do.

``--format concise`` (``output.finding_line``) is the one-line-per-finding form for tools."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from venvsense.check import ProjectReport
from venvsense.cli.output import location, message_for_people, shown_path
from venvsense.findings import Finding, Severity, problem_key

WORDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "info",
         Severity.HINT: "hint"}
COLOURS = {Severity.ERROR: "1;31", Severity.WARNING: "33", Severity.INFORMATION: "36", Severity.HINT: "2"}
SOURCES = {"in-project": "its own", "enclosing-project": "the enclosing project's", "configured": "configured",
           "VIRTUAL_ENV": "from VIRTUAL_ENV"}
# the codes ``venvsense fix`` acts on (with ``repair_for``): a summary offers it only when one of these is shown
FIXABLE = frozenset({"VS101", "VS103", "VS104", "VS201", "VS202", "VS203", "VS301"})
MODULES_NAMED = 4  # a set's line names this many of its modules, then "…"


def use_colour(choice: str, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """``--color always|never``, or ``auto``: on a terminal, unless ``NO_COLOR`` is set (``FORCE_COLOR`` forces
    it on; ``TERM=dumb`` off)."""
    if choice in ("always", "never"):
        return choice == "always"
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Paint:
    """ANSI styles when ``enabled``, else the text as it is."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.enabled and text else text


@dataclass(frozen=True)
class Line:
    """One problem as the text shows it."""

    severity: Severity
    location: str
    code: str
    message: str


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def problems(found: Sequence[Finding], cwd: Path, fix_command: str | None) -> list[Line]:
    """The lines of one project: a finding each, except the findings that are one problem (``problem_key``),
    which make one line where the first of them stands."""
    groups: dict[str, list[Finding]] = {}
    order: list[Finding | str] = []
    for finding in found:
        key = problem_key(finding)
        if key is None:
            order.append(finding)
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(finding)
    lines = []
    for item in order:
        if isinstance(item, str):
            lines.append(_set_line(groups[item], cwd, fix_command))
        else:
            lines.append(Line(item.severity, location(item, cwd), item.code, message_for_people(item, cwd)))
    return lines


def _set_line(members: list[Finding], cwd: Path, fix_command: str | None) -> Line:
    """``group 'tests' is not installed: pytest, hypothesis are imported by 41 files`` at the set's level."""
    first = members[0]
    modules = sorted({str(f.data.get("module") or f.package or "?").split(".")[0] for f in members})
    named = ", ".join(modules[:MODULES_NAMED]) + (", …" if len(modules) > MODULES_NAMED else "")
    verb = "is" if len(modules) == 1 else "are"
    files = len({f.file for f in members})
    action = f"; run '{fix_command}' to install it" if fix_command else ""
    message = f"{first.declaration_set} is not installed: {named} {verb} imported by {plural(files, 'file')}{action}"
    return Line(max(f.severity for f in members), location(first, cwd), first.code, message)


def heading(report: ProjectReport, cwd: Path) -> str:
    """``examples/project-b (venv: examples/project-b/.venv, Python 3.11.7, its own)``."""
    root = shown_path(report.project.root, cwd)
    env = report.environment
    if env is None:
        return f"{root} (no virtual environment)"
    source = SOURCES.get(env.source, env.source)
    return f"{root} (venv: {shown_path(env.path, cwd)}, Python {env.python or '?'}, {source})"


@dataclass
class FixWork:
    """What ``venvsense fix`` would do over the projects shown: the venvs it creates and recreates (as shown),
    the packages it installs."""

    create: list[str] = field(default_factory=list)
    recreate: list[str] = field(default_factory=list)
    packages: int = 0

    def add(self, report: ProjectReport, cwd: Path) -> bool:
        """Count what fixing ``report``'s project does; whether it does anything."""
        # the fix policy (and the TOML editor it imports) only once something can be fixed
        from venvsense.fixes import INSTALL_CODES, repair_for

        repair = repair_for(report)
        env = report.environment
        if repair == "create":
            self.create.append(shown_path(report.project.root / ".venv", cwd))
        elif repair == "recreate" and env is not None:
            self.recreate.append(shown_path(env.path, cwd))
        elif repair == "install":
            if any(f.code == "VS102" for f in report.findings):
                return False  # fix does not install into another project's venv
            loose = report.project.manifestless  # a folder with no manifest: fix installs what its imports lack
            packages = {f.package for f in report.project_findings
                        if (f.code in INSTALL_CODES or (loose and f.code == "VS301")) and f.package}
            self.packages += len(packages)
            return bool(packages)
        else:
            return False
        return True

    def describe(self) -> str:
        """``create a/.venv, recreate b/.venv and install 3 packages``."""
        parts = []
        for verb, venvs in (("create", self.create), ("recreate", self.recreate)):
            if venvs:
                parts.append(f"{verb} {venvs[0]}" if len(venvs) == 1 else f"{verb} {plural(len(venvs), 'venv')}")
        if self.packages:
            parts.append(f"install {plural(self.packages, 'package')}")
        return " and ".join([", ".join(parts[:-1]), parts[-1]]) if len(parts) > 1 else "".join(parts)


def fix_command(paths: Sequence[str]) -> str:
    """The ``venvsense fix`` command for what was checked (``fix`` takes one path)."""
    if not paths or list(paths) == ["."]:
        return "venvsense fix"
    if len(paths) == 1:
        return f"venvsense fix {shlex.quote(paths[0])}"
    return "venvsense fix PATH"


def write_text(shown: Sequence[tuple[ProjectReport, list[Finding]]], paths: Sequence[str], out: TextIO,
               paint: Paint, cwd: Path | None = None) -> None:
    """Every project's heading and problems, then the summary line."""
    cwd = cwd or Path.cwd()
    command = fix_command(paths)
    counts = dict.fromkeys(WORDS, 0)
    work = FixWork()
    for index, (report, found) in enumerate(shown):
        fixable = any(f.code in FIXABLE for f in found) and work.add(report, cwd)
        lines = problems(found, cwd, command if fixable else None)
        if index:
            out.write("\n")
        out.write(paint(heading(report, cwd), "1") + "\n")
        if not lines:
            out.write(f"  {paint('ok', '32')}       no problems found\n")
        for line in lines:
            counts[line.severity] += 1
            word = WORDS[line.severity]
            out.write(f"  {paint(word, COLOURS[line.severity])}{' ' * (9 - len(word))}"
                      f"{line.location}: {paint(line.code, '2')} {line.message}\n")
    out.write("\n" + summary(counts, len(shown), work, command, paint) + "\n")


def summary(counts: Mapping[Severity, int], projects: int, work: FixWork, command: str, paint: Paint) -> str:
    """``3 errors, 2 warnings, 5 hints in 2 projects; run 'venvsense fix' to install 3 packages``."""
    shown = [(severity, n) for severity, n in counts.items() if n]
    where = f"in {plural(projects, 'project')}"
    if not shown:
        return f"{paint('no problems', '32')} {where}"
    text = ", ".join(paint(plural(n, WORDS[s]) if s != Severity.INFORMATION else f"{n:,} info", COLOURS[s])
                     for s, n in shown)
    todo = work.describe()
    fix = f"; run '{command}' to {todo}" if todo else ""
    return f"{text} {where}{fix}"
