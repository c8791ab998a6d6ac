"""What an action will do, as data: a ``Plan`` of ``Step``s with exact argument lists, the interpreter and the
installer chosen and why, the index options in force, so a person can read it before anything runs; and the
errors an action raises.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ActionKind = Literal["create", "recreate", "install", "sync", "lock"]
BackendName = Literal["uv", "pip"]
# the program a plan runs: an installer, or the tool that owns a lock file (``poetry install --sync``)
ToolName = Literal["uv", "pip", "poetry", "pipenv", "pdm"]
Phase = Literal["plan", "venv", "install", "lock", "swap", "check", "cleanup"]


class ActionError(Exception):
    """An action cannot be planned or started; the message is one sentence for a person."""


class ActionRefused(ActionError):
    """Refused for safety: an untrusted workspace, a target that is not a venv, an argument like an option."""


class LockBusy(ActionError):
    """Another venvsense run is changing the same venv."""


@dataclass(frozen=True)
class Interpreter:
    """The Python a new venv is built from, its version when known, and why it was chosen."""

    path: Path
    version: str | None
    reason: str


@dataclass(frozen=True)
class Backend:
    """The installer: ``uv`` (``executable`` is the uv binary) or ``pip`` (run by the venv's own Python); for a
    lock file, the tool that owns it (``poetry``, ``pipenv``, ``pdm``: ``executable`` found on ``PATH``)."""

    name: ToolName
    executable: Path | None
    reason: str


@dataclass(frozen=True)
class IndexSetting:
    """An option changing where packages come from, and where it was set (a file line, the command line)."""

    option: str
    value: str
    origin: str
    from_file: bool = False  # set by a file of the project (needs consent), not by the person

    def __str__(self) -> str:
        return f"{self.option} {self.value}" if self.value else self.option


@dataclass(frozen=True)
class Step:
    """One command of a plan. ``expected`` holds the normalized names this step should leave installed;
    ``environ`` the variables set for this command only (``UV_PROJECT_ENVIRONMENT``: which venv ``uv sync``
    changes), over the scrubbed child environment."""

    phase: Phase
    description: str
    argv: tuple[str, ...]
    expected: tuple[str, ...] = ()
    environ: tuple[tuple[str, str], ...] = ()

    @property
    def command_line(self) -> str:
        """The argument list, quoted for a POSIX shell: for showing only, never for running."""
        assignments = [f"{name}={shlex.quote(value)}" for name, value in self.environ]
        return " ".join([*assignments, shlex.join(self.argv)])


@dataclass(frozen=True)
class Plan:
    """An action ready to run.

    ``venv`` is where the environment ends up; ``build_at`` is where it is built: ``venv`` itself for
    ``install``, a sibling ``<venv>.venvsense-new`` for ``create`` and ``recreate`` (renamed or swapped into
    place only when complete, so a killed run never leaves a half-made ``venv``).
    ``requirements`` are what will be installed, as a person reads them (``-r requirements.txt``,
    ``requests>=2.31``), one entry per distribution; ``reasons`` say why each entry (or set) is there;
    ``sources`` name every file (relative to the project) its packages came from; ``expected`` the normalized
    names that must be installed afterwards.
    """

    action: ActionKind
    project: Path
    venv: Path
    build_at: Path
    backend: Backend
    interpreter: Interpreter | None
    steps: tuple[Step, ...]
    requirements: tuple[str, ...] = ()
    expected: tuple[str, ...] = ()
    index: tuple[IndexSetting, ...] = ()
    notes: tuple[str, ...] = field(default=())
    reasons: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    lock: Path | None = None  # the lock file a sync reads, or the one a lock update rewrites (kept on failure)

    @property
    def index_to_confirm(self) -> tuple[IndexSetting, ...]:
        """The index options a project's file sets (not the person's own, on the command line or in settings),
        which need the person's explicit consent before an install uses them; ``--no-index`` only narrows."""
        return tuple(s for s in self.index if s.from_file and s.option != "--no-index")

    def describe(self) -> str:
        """The plan for a person to read: what, with which Python and installer, from where, each command."""
        verb = {"create": "create", "recreate": "recreate", "install": "install into", "sync": "sync",
                "lock": "update the lock of"}[self.action]
        target = self.project if self.action == "lock" else self.venv
        lines = [f"Plan: {verb} {target}"]
        if self.interpreter is not None:
            version = f" ({self.interpreter.version})" if self.interpreter.version else ""
            lines.append(f"  Python: {self.interpreter.path}{version} — {self.interpreter.reason}")
        where = f" ({self.backend.executable})" if self.backend.executable else ""
        lines.append(f"  Installer: {self.backend.name}{where} — {self.backend.reason}")
        if self.requirements:
            lines.append("  Installs: " + ", ".join(self.requirements))
        if self.reasons:
            lines.append("  Why:")
            lines.extend(f"    {reason}" for reason in self.reasons)
        if self.sources:
            lines.append("  From files: " + ", ".join(self.sources))
        if self.index:
            lines.append("  Index options in force (packages may come from here):")
            lines.extend(f"    {setting}  ({setting.origin})" for setting in self.index)
            if self.index_to_confirm:
                lines.append("  The project's own files choose where packages come from: this needs your "
                             "explicit consent before anything is installed")
        for note in self.notes:
            lines.append(f"  Note: {note}")
        lines.append("  Steps:")
        for number, step in enumerate(self.steps, 1):
            lines.append(f"    {number}. {step.description}")
            lines.append(f"       $ {step.command_line}")
        if self.action == "recreate":
            lines.append(f"    {len(self.steps) + 1}. swap {self.build_at.name} in for {self.venv.name} "
                         "(the old one is kept until the new one is complete)")
        elif self.action == "create" and self.build_at != self.venv:
            lines.append(f"    {len(self.steps) + 1}. rename {self.build_at.name} to {self.venv.name} "
                         "(only once it is complete)")
        return "\n".join(lines)
