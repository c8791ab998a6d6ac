"""``venvsense check``'s progress line: on a terminal, once a check has run for ``DELAY`` seconds, one line on
stderr rewritten in place (projects and files scanned so far, the project being read, the time), erased when
the check ends. Nothing when stdout or stderr is not a terminal, nor for JSON."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import TextIO

from venvsense.check import ProjectReport
from venvsense.cli.output import shown_path
from venvsense.model import Project

DELAY = 2.0  # seconds before the line appears: a quick check prints nothing
INTERVAL = 0.25


class Progress:
    """Told of each project as it starts and ends (``started``, ``finished``); draws from its own thread."""

    def __init__(self, err: TextIO, cwd: Path, *, delay: float = DELAY) -> None:
        self._err = err
        self._cwd = cwd
        self._delay = delay
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._projects = 0
        self._files = 0
        self._current = ""
        self._drawn = 0
        self._begun = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="venvsense-progress", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            if self._drawn:
                self._err.write("\r" + " " * self._drawn + "\r")
                self._err.flush()
                self._drawn = 0

    def started(self, project: Project) -> None:
        with self._lock:
            self._current = shown_path(project.root, self._cwd)

    def finished(self, report: ProjectReport) -> None:
        with self._lock:
            self._projects += 1
            self._files += len(report.usage.scanned) if report.usage is not None else 0

    def line(self) -> str:
        """What the line says now."""
        elapsed = time.monotonic() - self._begun
        done = f"{self._projects:,} project{'s' if self._projects != 1 else ''}, {self._files:,} files scanned"
        where = f" {self._current}" if self._current else ""
        return f"checking{where} … {done} ({elapsed:.0f} s)"

    def _run(self) -> None:
        if self._stop.wait(self._delay):
            return
        while True:
            with self._lock:
                width = shutil.get_terminal_size((80, 24)).columns - 1
                text = self.line()
                text = text if len(text) <= width else text[:max(0, width - 1)] + "…"
                pad = max(0, self._drawn - len(text))
                self._err.write("\r" + text + " " * pad)
                self._err.flush()
                self._drawn = len(text)
            if self._stop.wait(INTERVAL):
                return
