"""Noticing changes made outside the editor: client file watching, and our own poller.

Two independent sources, so that ``pip install x`` in a terminal refreshes diagnostics in any editor:

* ``workspace/didChangeWatchedFiles``, registered dynamically when (and only when) the client says it
  supports dynamic registration; a refusal is logged, not fatal.
* A poller that stats, once a second, the site-packages folders and ``pyvenv.cfg`` of every venv in use and
  every project root (a new ``.venv`` or manifest changes the root's mtime): a changed stamp means a check.

Both feed ``VenvsenseServer.files_changed``, which waits for a quiet moment, so an install touching 500
files causes one check.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path

from lsprotocol import types
from pygls.capabilities import get_capability

from venvsense.lsp.server import VenvsenseServer

POLL_INTERVAL = 1.0
REGISTRATION_ID = "venvsense-watched-files"
WATCH_GLOBS = (
    "**/requirements*.txt", "**/requirements*.in", "**/*requirements*.txt", "**/requirements/**/*.txt",
    "**/requirements/**/*.in", "**/pyproject.toml", "**/setup.cfg", "**/.python-version", "**/*.py",
    "**/pyvenv.cfg", "**/site-packages/*.dist-info", "**/site-packages/*.egg-info", "**/site-packages/*.pth",
)


def watchers(extra_globs: Iterable[str] = ()) -> list[types.FileSystemWatcher]:
    globs = list(dict.fromkeys([*WATCH_GLOBS, *(f"**/{g.lstrip('/')}" for g in extra_globs)]))
    return [types.FileSystemWatcher(glob_pattern=glob) for glob in globs]


async def register_watchers(server: VenvsenseServer, *, again: bool = False) -> bool:
    """Ask the client to watch our files; ``False`` (and a log line) when it cannot or will not. ``again``:
    replace the registration made before (the requirement-file globs changed)."""
    supported = get_capability(
        server.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False
    )
    if supported is not True:
        if not again:
            server.log("venvsense: the client cannot watch files for us; polling venvs instead",
                       types.MessageType.Info)
        return False
    globs = server.requirement_globs()
    registration = types.Registration(
        id=REGISTRATION_ID,
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers(globs)),
    )
    try:
        if again:
            await server.client_unregister_capability_async(types.UnregistrationParams(unregisterations=[
                types.Unregistration(id=REGISTRATION_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES)]))
        await server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as error:
        server.log(f"venvsense: the client refused to watch files ({error}); polling venvs instead",
                   types.MessageType.Warning)
        return False
    return True


def _stamp(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _stamps(paths: Iterable[Path]) -> dict[Path, int]:
    return {path: _stamp(path) for path in paths}


class Poller:
    """Stats what changes when a venv or a project changes on disk, once per ``interval`` seconds."""

    def __init__(self, server: VenvsenseServer, interval: float = POLL_INTERVAL) -> None:
        self.server = server
        self.interval = interval
        self.stamps: dict[Path, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.polls = 0

    def targets(self) -> set[Path]:
        found: set[Path] = set()
        for root, state in self.server.projects.items():
            found.add(root)
            env = state.report.environment if state.report else None
            if env is not None:
                found.add(env.path)
                found.add(env.path / "pyvenv.cfg")
                found.update(env.site_packages)
        return found

    def start(self) -> None:
        if self._task is None:
            self._task = self.server.spawn(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            targets = self.targets()
            stamps = await asyncio.to_thread(_stamps, targets)
            self.polls += 1
            changed = [path for path, stamp in stamps.items()
                       if path in self.stamps and self.stamps[path] != stamp]
            self.stamps = stamps
            if changed:
                self.changed(changed)

    def changed(self, paths: list[Path]) -> None:
        roots = set(self.server.projects)
        events: list[tuple[Path, types.FileChangeType]] = []
        for path in paths:
            if path in roots:
                # something was created or removed in a project root: a venv, a manifest
                self.server.spawn(self.server.refresh_project(path))
            else:
                events.append((path, types.FileChangeType.Changed))
        if events:
            self.server.files_changed(events, delay=0.1)
