"""The ``venvsense/status`` payload (contract: docs/contract.md): one entry per project, for a status bar.

``state`` is ``busy`` while a project is first analysed or an action runs on it, ``missing`` without a venv,
``broken`` when the venv is unusable (VS104), ``problems`` when there is a warning or an error, else ``ok``.
``fixes`` are the fixes for the whole project (the engine's ``project_fixes``) as LSP ``Command`` objects —
``{"title", "command", "arguments": [{"project": root}]}`` — for a client to offer as they are; empty until the
project is checked.
"""

from __future__ import annotations

from typing import Any

from venvsense.check import ProjectReport, environment_json
from venvsense.fixes import project_fixes
from venvsense.protocol import GET_STATUS_REQUEST, STATUS_NOTIFICATION

__all__ = ["GET_STATUS_REQUEST", "STATUS_NOTIFICATION", "project_status"]

EMPTY_COUNTS = {"error": 0, "warning": 0, "information": 0, "hint": 0}




def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fixes_json(root_uri: str, report: ProjectReport | None, trusted: bool = True) -> list[dict[str, Any]]:
    """The project's fixes as LSP ``Command`` objects; those that run a process only when ``trusted``."""
    if report is None:
        return []
    return [{"title": fix.title, "command": fix.command, "arguments": [{"project": root_uri, **fix.arguments}]}
            for fix in project_fixes(report, trusted=trusted) if fix.command is not None]


def project_status(root_uri: str, report: ProjectReport | None, busy: str | None,
                   trusted: bool = True) -> dict[str, Any]:
    """The status of one project; ``busy`` is what is running on it (``"Installing requests"``) or ``None``;
    ``trusted`` False leaves out the fixes that run a process."""
    env = report.environment if report else None
    counts = report.counts() if report else dict(EMPTY_COUNTS)
    label = f"{env.name} (Python {env.python})" if env and env.python else (env.name if env else "no venv")
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
    }
