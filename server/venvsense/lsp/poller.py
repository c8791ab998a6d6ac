"""A poller that stats, once a second, what changes when a venv or a project changes on disk, so that
``pip install x`` in a terminal refreshes diagnostics even in a client that watches no files."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any

POLL_INTERVAL = 1.0


def _stamp(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _stamps(paths: Iterable[Path]) -> dict[Path, int]:
    return {path: _stamp(path) for path in paths}


class Poller:
    """Stats ``targets()`` once per ``interval`` seconds and hands the paths whose stamp changed to ``changed``."""

    def __init__(self, targets: Callable[[], set[Path]], changed: Callable[[list[Path]], None],
                 spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
                 interval: float = POLL_INTERVAL) -> None:
        self.targets = targets
        self.changed = changed
        self._spawn = spawn
        self.interval = interval
        self.stamps: dict[Path, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.polls = 0

    def start(self) -> None:
        if self._task is None:
            self._task = self._spawn(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            stamps = await asyncio.to_thread(_stamps, self.targets())
            self.polls += 1
            changed = [path for path, stamp in stamps.items()
                       if path in self.stamps and self.stamps[path] != stamp]
            self.stamps = stamps
            if changed:
                self.changed(changed)
