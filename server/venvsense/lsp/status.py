"""The ``venvsense/status`` payload (contract: docs/contract.md): one entry per project, for a status bar.

``state`` is ``busy`` while a project is first analysed or an action runs on it, ``missing`` without a venv,
``broken`` when the venv is unusable (VS104), ``problems`` when there is a warning or an error, else ``ok``.
``fixes`` are the fixes for the whole project (the engine's ``project_fixes``) as LSP ``Command`` objects —
``{"title", "command", "arguments": [{"project": root}]}`` — for a client to offer as they are; empty until the
project is checked.
``problems`` are the project's most severe findings (at most ``TOP_PROBLEMS``, errors first, then in file order),
each ``{"code", "severity", "message", "uri", "line", "fix"}`` — ``line`` 0-based, ``fix`` the title of the
finding's first fix (``None`` when it has none or only one that runs a process in an untrusted workspace).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from venvsense.caches import MemoryCache
from venvsense.check import ProjectReport, environment_json
from venvsense.findings import Finding, Severity
from venvsense.fixes import finding_fixes, project_fixes
from venvsense.lsp.convert import uri_of
from venvsense.protocol import GET_STATUS_REQUEST, STATUS_NOTIFICATION
from venvsense.text import UnreadableFile, read_text

__all__ = ["GET_STATUS_REQUEST", "STATUS_NOTIFICATION", "TOP_PROBLEMS", "project_status"]

EMPTY_COUNTS = {"error": 0, "warning": 0, "information": 0, "hint": 0}
TOP_PROBLEMS = 3


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fixes_json(root_uri: str, report: ProjectReport | None, trusted: bool = True) -> list[dict[str, Any]]:
    """The project's fixes as LSP ``Command`` objects; those that run a process only when ``trusted``."""
    if report is None:
        return []
    return [{"title": fix.title, "command": fix.command, "arguments": [{"project": root_uri, **fix.arguments}]}
            for fix in project_fixes(report, trusted=trusted) if fix.command is not None]


def _disk_text(path: Path) -> str | None:
    try:
        return read_text(path)
    except UnreadableFile:
        return None


def top_findings(report: ProjectReport, limit: int = TOP_PROBLEMS) -> list[Finding]:
    """The project's most severe findings: errors first, then warnings, …; in file order within a severity."""
    shown = [f for f in report.findings if f.severity != Severity.OFF]
    ordered = sorted(shown, key=lambda f: (-f.severity, str(f.file), f.range.start.line, f.range.start.column))
    return ordered[:limit]


# the problems of each project's latest report: a keystroke whose check gives back the previous report (its imports
# read as before) sends the status again, and the fix titles read the manifests on disk
PROBLEMS: MemoryCache[tuple[str, bool], tuple[ProjectReport, list[dict[str, Any]]]] = MemoryCache(
    "lsp.status_problems", key="a project root's URI and whether the workspace is trusted",
    invalidation="used only for the very report it was made from (each check makes a new one)",
    owner="the language server", limit=64)


def problems_json(root_uri: str, report: ProjectReport | None, trusted: bool = True) -> list[dict[str, Any]]:
    """The top findings of the project at ``root_uri`` with the title of each one's first fix (read against the
    files on disk)."""
    if report is None:
        return []
    key = (root_uri, trusted)
    cached = PROBLEMS.get(key)
    if cached is not None and cached[0] is report:
        return cached[1]
    problems: list[dict[str, Any]] = []
    for finding in top_findings(report):
        fixes = finding_fixes(report, finding, trusted=trusted, text_of=_disk_text, edits=False)
        problems.append({"code": finding.code, "severity": finding.severity.label, "message": finding.message,
                         "uri": uri_of(finding.file), "line": finding.range.start.line,
                         "fix": fixes[0].title if fixes else None})
    PROBLEMS.put(key, (report, problems))
    return problems


def project_status(root_uri: str, report: ProjectReport | None, busy: str | None,
                   trusted: bool = True) -> dict[str, Any]:
    """The status of one project; ``busy`` is what is running on it (``"Installing requests"``) or ``None``;
    ``trusted`` False leaves out the fixes that run a process."""
    env = report.environment if report else None
    counts = report.counts() if report else dict(EMPTY_COUNTS)
    label = f"{env.name} (Python {env.python})" if env and env.python else (env.name if env else "no venv")
    workspace = workspace_json(report)
    if env is not None and workspace is not None and workspace["shared"]:
        label = f"{env.name} (workspace)" + (f" · {workspace['member']}" if workspace["member"] else "")
    problems = [_plural(counts[k], k) for k in ("error", "warning") if counts.get(k)]
    if busy or report is None:
        state = "busy"
        summary = f"{busy or 'Checking'}…"
    elif env is None:
        state = "missing"
        summary = "no venv"
    elif env.problems:
        state = "broken"
        summary = f"{env.name} is broken"
    elif problems:
        state = "problems"
        summary = f"{label}: {', '.join(problems)}"
    else:
        state = "ok"
        summary = label
    return {
        "root": root_uri,
        "environment": environment_json(env),
        "state": state,
        "counts": counts,
        "summary": summary,
        "fixes": fixes_json(root_uri, report, trusted),
        "problems": problems_json(root_uri, report, trusted),
        "workspace": workspace,
    }


def workspace_json(report: ProjectReport | None) -> dict[str, Any] | None:
    """The uv workspace of the project: ``{"root": uri, "member": name or None (the root), "shared": whether the
    project's venv is the one at the workspace's root}``; ``None`` when it belongs to none."""
    workspace = report.workspace if report is not None else None
    if workspace is None or report is None:
        return None
    env = report.environment
    return {"root": uri_of(workspace.root),
            "member": workspace.member.name if workspace.member is not None else None,
            "shared": env is not None and env.path.parent.resolve() == workspace.root.resolve()}
