"""A poller that stats, once a second, what changes when a venv or a project changes on disk, so that
``pip install x`` in a terminal refreshes diagnostics even in a client that watches no files.

The baseline a poll compares the disk with is the state the last check read, not the previous poll: a check
records the stamps of what it read (``check_baseline``, handed to ``Poller.record``), so an install that
finishes between a check and the next poll is still a change. A stamp the check cannot vouch for (it changed
while the check ran, or, for a path first known from the check's own report, it is no older than the check's
start) is recorded as ``SUSPECT``, which the next poll treats as changed: one extra check, never a missed one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from venvsense.check import ProjectReport

POLL_INTERVAL = 1.0
SUSPECT = -2  # a baseline stamp no disk stamp equals: "check again at the next poll"
# a file's mtime comes from the kernel's coarse clock, a tick behind ``time.time_ns()``: a stamp this close to
# the check's start may be a change the check did not see
CLOCK_SLACK_NS = 100_000_000


def _stamp(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def stamps(paths: Iterable[Path]) -> dict[Path, int]:
    return {path: _stamp(path) for path in paths}


# the lock files a project may have at its root (``declarations.locks.LOCK_NAMES`` without the pattern; a named
# ``pylock.<name>.toml`` appearing changes the root's mtime, and is stat'ed once the check found it)
LOCK_FILES = ("uv.lock", "poetry.lock", "pylock.toml", "Pipfile.lock", "pdm.lock")


def git_head(root: Path) -> Path | None:
    """The ``HEAD`` file of the git repository holding ``root`` (``.git/HEAD``; a worktree's or submodule's
    ``.git`` file names its own git folder): it changes on every branch switch. ``None`` outside a repository."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git / "HEAD"
        if dot_git.is_file():
            try:
                text = dot_git.read_text("utf-8", errors="replace").strip()
            except OSError:
                return None
            if not text.startswith("gitdir:"):
                return None
            gitdir = Path(text[len("gitdir:"):].strip())
            return (gitdir if gitdir.is_absolute() else folder / gitdir) / "HEAD"
    return None


def project_targets(root: Path, report: ProjectReport | None) -> set[Path]:
    """What the poller stats for one project: its root, its lock files and the manifests its report read (a
    pull or ``uv lock`` may rewrite them in place), the ``HEAD`` of its git repository (a branch switch), and
    the folder, ``pyvenv.cfg`` and site-packages of the venv its report found; for each of its PEP 723 scripts,
    those of its environment, or the ``pyvenv.cfg`` that ``uv sync --script`` or ``.venvs/<name>`` would make."""
    found = {root, *(root / name for name in LOCK_FILES)}
    head = git_head(root)
    if head is not None:
        found.add(head)
    if report is not None:
        found.update(path for path in report.files if path == root / path.name)
    env = report.environment if report else None
    if env is not None:
        found.add(env.path)
        found.add(env.path / "pyvenv.cfg")
        found.update(env.site_packages)
    for script in report.scripts if report else ():  # a PEP 723 script's own environment, or where one appears
        found.update(folder / "pyvenv.cfg" for folder in script.environment_folders(os.environ))
        if script.environment is not None:
            found.update(script.environment.site_packages)
    return found


def check_baseline(before: dict[Path, int], started_ns: int, after: dict[Path, int]) -> dict[Path, int]:
    """The stamps a check vouches for: ``before`` were taken just before it read, ``after`` just after it (of
    the targets of its report). Unchanged across the check: that is what it read. Changed, or unknown before
    and no older than the check's start: ``SUSPECT``."""
    baseline: dict[Path, int] = {}
    for path, stamp in after.items():
        if path in before:
            baseline[path] = stamp if before[path] == stamp else SUSPECT
        else:
            baseline[path] = stamp if stamp < started_ns - CLOCK_SLACK_NS else SUSPECT
    return baseline


class Poller:
    """Stats ``targets()`` once per ``interval`` seconds and hands the paths whose stamp changed to ``changed``."""

    def __init__(self, targets: Callable[[], set[Path]], changed: Callable[[list[Path]], None],
                 spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
                 interval: float = POLL_INTERVAL) -> None:
        self.targets = targets
        self.changed = changed
        self._spawn = spawn
        self.interval = interval
        self.stamps: dict[Path, int] = {}  # the baseline: what the last check read, else the last poll saw
        self._recorded: set[Path] = set()  # baselines recorded by a check while a poll was running
        self._task: asyncio.Task[None] | None = None
        self.polls = 0

    def start(self) -> None:
        if self._task is None:
            self._task = self._spawn(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def record(self, baseline: dict[Path, int]) -> None:
        """A check read this state: compare the next polls with it."""
        self.stamps.update(baseline)
        self._recorded.update(baseline)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._recorded.clear()
            polled = await asyncio.to_thread(stamps, self.targets())
            self.polls += 1
            # a baseline a check recorded during this poll is newer than the poll: keep it, compare next time
            changed = [path for path, stamp in polled.items()
                       if path in self.stamps and path not in self._recorded and self.stamps[path] != stamp]
            self.stamps = {path: self.stamps[path] if path in self._recorded and path in self.stamps else stamp
                           for path, stamp in polled.items()}
            if changed:
                self.changed(changed)
