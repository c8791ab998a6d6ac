"""The fix policy (``venvsense.fixes``): which fixes apply to a project as a whole, what fixing everything does,
what an untrusted workspace is offered, and the status payload built from it. The code actions built from the
same policy are tested over LSP in ``tests/lsp/test_actions.py``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from venvsense import fixes
from venvsense.findings import Finding, Severity
from venvsense.lsp.status import project_status
from venvsense.protocol import (
    CREATE_ENVIRONMENT,
    FIX_VERSIONS,
    INSTALL_MISSING,
    PROCESS_COMMANDS,
    RECHECK,
    RECREATE_ENVIRONMENT,
)
from venvsense.text import START

ROOT = Path("/work/app")


def report(*codes: str, env: bool = True, broken: bool = False, source: str = "in-project",
           declared: bool = True) -> Any:
    """A stand-in for a checked project: what the policy reads of a ``ProjectReport``."""
    environment = SimpleNamespace(path=ROOT / ".venv", name=".venv", source=source, python="3.12.1",
                                  problems=("no python",) if broken else ()) if env else None
    findings = [Finding(code, code, ROOT / "requirements.txt", START, Severity.WARNING, package="alpha")
                for code in codes]
    return SimpleNamespace(findings=findings, environment=environment, workspace=None,
                           declarations=[SimpleNamespace(normalized="alpha")] if declared else [],
                           counts=lambda: {"error": 0, "warning": len(findings), "information": 0, "hint": 0})


def commands(found: list[fixes.Fix]) -> list[str | None]:
    return [fix.command for fix in found]


def test_without_a_venv_the_project_fix_is_to_create_one() -> None:
    assert commands(fixes.project_fixes(report("VS101", env=False))) == [CREATE_ENVIRONMENT, RECHECK]


def test_missing_and_mismatched_packages_offer_install_and_fix_versions_then_recreate() -> None:
    assert commands(fixes.project_fixes(report("VS201", "VS202"))) == [
        INSTALL_MISSING, FIX_VERSIONS, RECREATE_ENVIRONMENT, RECHECK]


def test_a_broken_venv_or_the_wrong_python_puts_recreate_first() -> None:
    assert commands(fixes.project_fixes(report("VS104", broken=True)))[0] == RECREATE_ENVIRONMENT
    assert commands(fixes.project_fixes(report("VS103", "VS201")))[0] == RECREATE_ENVIRONMENT


def test_an_untrusted_workspace_is_offered_nothing_that_runs_a_process() -> None:
    assert commands(fixes.project_fixes(report("VS101", env=False), trusted=False)) == [RECHECK]
    assert commands(fixes.project_fixes(report("VS201"), trusted=False)) == [RECHECK]
    assert all(fix.command in PROCESS_COMMANDS for fix in fixes.project_fixes(report("VS201"))[:-1])


def test_what_fixing_everything_does() -> None:
    assert fixes.repair_for(report(env=False)) == "create"
    assert fixes.repair_for(report(env=False, declared=False)) is None
    assert fixes.repair_for(report("VS104", "VS201")) == "recreate"
    assert fixes.repair_for(report("VS104", "VS201", source="VIRTUAL_ENV")) == "install"
    assert fixes.repair_for(report("VS203")) == "install"
    assert fixes.repair_for(report("VS302")) is None


def test_fix_all_is_one_command_and_only_when_trusted() -> None:
    fix = fixes.fix_all(report("VS202"), trusted=True)
    assert fix is not None and fix.command == FIX_VERSIONS and fix.kind == "source.fixAll.venvsense"
    assert fixes.fix_all(report("VS202"), trusted=False) is None
    assert fixes.fix_all(report("VS302"), trusted=True) is None


def test_finding_fixes_leave_out_processes_when_untrusted() -> None:
    project = report("VS201")
    (finding,) = project.findings
    found = fixes.finding_fixes(project, finding, trusted=True, text_of=lambda path: None)
    assert [(f.title, f.command, f.arguments, f.preferred) for f in found] == [
        ("Install alpha", INSTALL_MISSING, {"packages": ["alpha"]}, True)]
    assert fixes.finding_fixes(project, finding, trusted=False, text_of=lambda path: None) == []


def test_the_status_payload_lists_the_project_fixes_as_commands() -> None:
    uri = ROOT.as_uri()
    status = project_status(uri, report("VS201"), None)
    assert status["fixes"] == [
        {"title": "Install missing", "command": INSTALL_MISSING, "arguments": [{"project": uri}]},
        {"title": "Recreate .venv", "command": RECREATE_ENVIRONMENT, "arguments": [{"project": uri}]},
        {"title": "Re-check", "command": RECHECK, "arguments": [{"project": uri}]},
    ]
    assert project_status(uri, report("VS201"), None, trusted=False)["fixes"] == [
        {"title": "Re-check", "command": RECHECK, "arguments": [{"project": uri}]}]
    assert project_status(uri, None, None)["fixes"] == []
