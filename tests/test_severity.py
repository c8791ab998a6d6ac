"""Severity is decided in one place (``venvsense.severity``) from the catalogue, the declaration set a finding
comes from and the settings."""

from __future__ import annotations

from pathlib import Path

from venvsense import findings, severity
from venvsense.config import Settings
from venvsense.findings import Severity
from venvsense.text import START

FILE = Path("/project/requirements-dev.txt")


def _main(code: str = "VS201", package: str | None = "alpha") -> findings.Finding:
    return findings.make(code, "m", FILE, START, package=package)


def _secondary(code: str = "VS201", package: str | None = "alpha") -> findings.Finding:
    return findings.make(code, "m", FILE, START, package=package, secondary=True,
                         declaration_set="requirements-dev.txt")


def _levels(found: list[findings.Finding], settings: Settings) -> list[Severity]:
    return [f.severity for f in severity.decide(found, settings)]


def test_a_main_finding_keeps_the_catalogue_default() -> None:
    assert _levels([_main()], Settings()) == [Severity.ERROR]


def test_a_secondary_sets_finding_is_one_level_lower_unless_switched_off() -> None:
    assert _levels([_secondary()], Settings()) == [Severity.WARNING]
    assert _levels([_secondary()], Settings(lower_secondary=False)) == [Severity.ERROR]


def test_a_configured_level_wins_and_a_secondary_set_stays_one_below_it() -> None:
    configured = Settings(severity={"VS201": Severity.WARNING})
    assert _levels([_main(), _secondary()], configured) == [Severity.WARNING, Severity.INFORMATION]


def test_off_and_per_package_ignores_drop_findings() -> None:
    assert _levels([_main()], Settings(severity={"VS201": Severity.OFF})) == []
    ignoring = Settings(ignore={"VS201": frozenset({"alpha"})})
    assert _levels([_main(), _main(package="beta")], ignoring) == [Severity.ERROR]


def test_findings_come_out_in_one_order_by_file_position_and_code() -> None:
    later = findings.make("VS202", "m", FILE, START)
    other = findings.make("VS201", "m", Path("/project/a.txt"), START)
    decided = severity.decide([later, _main(), other], Settings())
    assert [(f.file.name, f.code) for f in decided] == [("a.txt", "VS201"), (FILE.name, "VS201"),
                                                         (FILE.name, "VS202")]
