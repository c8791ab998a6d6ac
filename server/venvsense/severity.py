"""Severity decided in one place: from the catalogue, the declaration set (main or secondary) a finding comes
from and the settings (configured levels, ``off``, ``lower-secondary``, per-package ignores).

Readers and rules only record facts on a finding (``secondary``, ``declaration_set``; a weaker form's own level);
``decide`` gives every finding its final level and the one order findings are shown in.
"""

from __future__ import annotations

from collections.abc import Iterable

from venvsense.config import Settings
from venvsense.findings import CATALOGUE, Finding, Severity


def finding_order(finding: Finding) -> tuple[str, int, int, str]:
    """The one order of a project's findings: by file, position, then code."""
    start = finding.range.start
    return str(finding.file), start.line, start.column, finding.code


def level(finding: Finding, settings: Settings) -> Severity:
    """The final level of one finding (``OFF``: not reported)."""
    code = CATALOGUE[finding.code]
    configured = settings.severity.get(finding.code)
    if configured is not None:
        # a secondary set's finding, or a rule's weaker form (an optional import), stays one level below the
        # configured one
        weaker = finding.secondary or finding.severity < code.severity
        return configured.lowered() if weaker and settings.lower_secondary else configured
    if finding.secondary:
        if finding.severity < code.level(secondary=True):
            return finding.severity  # a rule's weaker form (an optional import) stays as weak
        # a set-level finding with no named set (a dependency-groups table error) is always lowered
        return code.level(secondary=settings.lower_secondary or finding.declaration_set is None)
    return finding.severity  # the catalogue's, or the rule's weaker level


def decide(found: Iterable[Finding], settings: Settings) -> list[Finding]:
    """Every finding at its final level, without those ignored or ``off``, in ``finding_order``."""
    result: list[Finding] = []
    for finding in found:
        if settings.ignores(finding.code, finding.package):
            continue
        severity = level(finding, settings)
        if severity != Severity.OFF:
            result.append(finding.with_severity(severity))
    result.sort(key=finding_order)
    return result
