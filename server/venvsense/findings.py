"""The catalogue of finding codes (the one place they are defined) and the ``Finding`` type.

The CLI, the language server and ``docs/codes.md`` are all rendered from ``CATALOGUE``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from venvsense.text import Range

DOCS_URL = "https://github.com/venvsense/venvsense/blob/main/docs/codes.md"


class Severity(enum.IntEnum):
    """Ordered so that a larger value is more severe; ``OFF`` drops a finding."""

    OFF = 0
    HINT = 1
    INFORMATION = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    def lowered(self) -> Severity:
        """One level lower (warning → information), never below hint."""
        if self in (Severity.OFF, Severity.HINT):
            return self
        return Severity(self - 1)

    @staticmethod
    def parse(text: str) -> Severity:
        """``error``, ``warning``, ``information`` (or ``info``), ``hint`` or ``off``."""
        key = text.strip().lower()
        names = {s.label: s for s in Severity} | {"info": Severity.INFORMATION, "none": Severity.OFF}
        if key not in names:
            raise ValueError(f"unknown severity {text!r} (use error, warning, information, hint or off)")
        return names[key]


@dataclass(frozen=True)
class Code:
    """One code of the catalogue: its name, default severity and summary."""

    code: str
    name: str
    severity: Severity
    summary: str

    @property
    def anchor(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}-{self.name}"

    def level(self, *, secondary: bool) -> Severity:
        """The default level of a finding from a main set, or from a secondary one (one level lower)."""
        return self.severity.lowered() if secondary else self.severity


_CODES = [
    Code("VS101", "no-environment", Severity.WARNING,
         "the project declares dependencies but has no virtual environment"),
    Code("VS102", "foreign-environment", Severity.WARNING,
         "the environment in use lives outside this project while the project has or should have its own"),
    Code("VS103", "python-version-mismatch", Severity.WARNING,
         "the venv's Python does not match .python-version or requires-python"),
    Code("VS104", "broken-environment", Severity.ERROR,
         "the venv is unusable: base interpreter gone, site-packages missing, pyvenv.cfg unreadable"),
    Code("VS105", "duplicate-installation", Severity.WARNING,
         "one distribution is installed more than once in the venv (two metadata folders for one name)"),
    Code("VS201", "not-installed", Severity.ERROR,
         "a declared requirement has no installed distribution"),
    Code("VS202", "version-mismatch", Severity.WARNING,
         "the installed version does not satisfy the declared specifier"),
    Code("VS203", "extra-not-installed", Severity.WARNING,
         "a requested extra has requirements that are not installed or mismatched"),
    Code("VS204", "broken-dependency", Severity.WARNING,
         "an installed distribution's own requirements are unmet (what pip check reports)"),
    Code("VS205", "conflicting-declaration", Severity.WARNING,
         "the same package is declared more than once with specifiers that differ"),
    Code("VS206", "invalid-declaration", Severity.ERROR,
         "a line or entry that cannot be parsed"),
    Code("VS207", "unresolvable-include", Severity.ERROR,
         "a -r/-c target is missing, unreadable, or part of a cycle"),
    Code("VS208", "index-override", Severity.INFORMATION,
         "a requirements file changes where packages come from"),
    Code("VS209", "dynamic-dependencies", Severity.INFORMATION,
         "what the project declares is computed at build time and could not all be read without running it"),
    Code("VS210", "newer-version", Severity.INFORMATION,
         "the package index has a newer compatible version than the installed one (off unless check-outdated)"),
    Code("VS301", "import-not-installed", Severity.ERROR,
         "an import that no installed distribution provides"),
    Code("VS302", "undeclared-import", Severity.WARNING,
         "an import provided by an installed distribution that the project does not declare"),
    Code("VS303", "unused-dependency", Severity.INFORMATION,
         "a declared dependency that nothing in the project imports"),
    Code("VS304", "dev-only-import", Severity.WARNING,
         "package code imports a distribution the project declares only for development (a dependency group, "
         "a dev/test/docs requirements file)"),
    Code("VS305", "installed-from-notebook", Severity.INFORMATION,
         "a notebook installs a distribution with pip (%pip install, !pip install) that the project does not "
         "declare"),
    Code("VS401", "lock-outdated", Severity.WARNING,
         "the lock file no longer matches the manifest it was made from (what uv lock --check says)"),
    Code("VS402", "not-synced", Severity.WARNING,
         "a package the lock selects for this venv is missing or installed at another version (what uv sync --check "
         "would change)"),
    Code("VS403", "not-in-lock", Severity.INFORMATION,
         "a package installed in the venv that the lock does not select (uv sync would remove it)"),
]

CATALOGUE: dict[str, Code] = {c.code: c for c in _CODES}
BY_NAME: dict[str, Code] = {c.name: c for c in _CODES}


def lookup(code_or_name: str) -> Code:
    """A code by its code (``VS201``) or name (``not-installed``); raises ``KeyError``."""
    key = code_or_name.strip()
    if key.upper() in CATALOGUE:
        return CATALOGUE[key.upper()]
    return BY_NAME[key.lower()]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong, at an exact place in one file.

    ``file`` is absolute. ``data`` carries what a fix needs (``wanted``: the declared requirement string,
    ``installed``: the installed version, ...), keys documented where each code is produced.
    ``declaration_set`` names the declaration set the finding comes from (``requirements.txt``,
    ``extra 'dev'``, ``group 'test'``), or ``None`` when that does not apply; ``secondary`` says that set is
    not the main one. Both are facts for ``venvsense.severity``, which decides the final ``severity`` from
    them, the catalogue and the settings. Until then ``severity`` is the default level (``Code.level``), or
    the lower level a rule gives a weaker form of a finding (an optional import's VS301 is a hint).
    """

    code: str
    message: str
    file: Path
    range: Range
    severity: Severity
    package: str | None = None
    declaration_set: str | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    secondary: bool = False

    @property
    def name(self) -> str:
        return CATALOGUE[self.code].name

    def with_severity(self, severity: Severity) -> Finding:
        return self if severity == self.severity else replace(self, severity=severity)


def make(code: str, message: str, file: Path, range_: Range, *, package: str | None = None,
         secondary: bool = False, declaration_set: str | None = None, **data: Any) -> Finding:
    """A finding at the code's default level for its set; ``secondary`` and ``declaration_set`` are recorded for
    ``venvsense.severity`` to decide the final level."""
    severity = CATALOGUE[code].level(secondary=secondary)
    return Finding(code, message, file, range_, severity, package, declaration_set, dict(data), secondary)


def make_shared(code: str, message: str, file: Path, range_: Range, data: dict[str, Any], *,
                package: str | None = None, severity: Severity | None = None, secondary: bool = False,
                declaration_set: str | None = None) -> Finding:
    """A finding whose ``message`` and ``data`` are shared with others, not copied (thousands of imports of one
    missing module); nobody changes a finding's ``data``. ``severity``: the code's default level for its set
    when ``None``."""
    level = severity or CATALOGUE[code].level(secondary=secondary)
    return Finding(code, message, file, range_, level, package, declaration_set, data, secondary)


# the prefix of a finding's problem key for imports whose distribution only a declaration set that is not
# installed declares
SET_NOT_INSTALLED = "set-not-installed"


def problem_key(finding: Finding) -> str | None:
    """The key shared by the findings that are one problem, ``None`` for a finding that stands alone.

    An import whose distribution the project declares only in a secondary set that is not installed (a test
    group, a docs requirements file, an extra) is one problem per set — the set is not installed — however many
    places import from it: ``set-not-installed:group 'tests'``."""
    if finding.code == "VS301" and finding.secondary and finding.declaration_set:
        return f"{SET_NOT_INSTALLED}:{finding.declaration_set}"
    return None


def one_per_problem(findings: list[Finding]) -> list[Finding]:
    """The findings of one file with each problem (``problem_key``) said once, where its first finding stands:
    ``group 'tests' is not installed: pytest, hypothesis are imported here (lines 1, 4, 9)``. A problem found at
    one place keeps its own finding."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        key = problem_key(finding)
        if key is not None:
            groups.setdefault(key, []).append(finding)
    if all(len(members) < 2 for members in groups.values()):
        return findings
    out: list[Finding] = []
    for finding in findings:
        key = problem_key(finding)
        members = groups.get(key) if key is not None else None
        if members is None or len(members) < 2:
            out.append(finding)
        elif finding is members[0]:
            modules = sorted({str(f.data.get("module") or f.package or "?").split(".")[0] for f in members})
            lines = sorted({f.range.start.line + 1 for f in members})
            shown = ", ".join(map(str, lines[:8])) + (", …" if len(lines) > 8 else "")
            verb = "is" if len(modules) == 1 else "are"
            out.append(replace(finding, message=f"{finding.declaration_set} is not installed: {', '.join(modules)} "
                                                f"{verb} imported here (lines {shown})"))
    return out
