"""Finding the projects of the workspace folders (off the event loop), keeping the session's projects in line
with what is on disk, and re-reading one project's manifests list when its root changes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from lsprotocol import types

from venvsense.lsp.client import Client
from venvsense.lsp.publish import Publisher
from venvsense.lsp.scheduler import DISK_DEBOUNCE, Scheduler
from venvsense.lsp.session import ProjectState, Session
from venvsense.model import Project, find_projects, project_at


class Discovery:
    """The session's projects, found again whenever folders, settings or project roots change."""

    def __init__(self, session: Session, scheduler: Scheduler, publisher: Publisher, client: Client) -> None:
        self.session = session
        self.scheduler = scheduler
        self.publisher = publisher
        self.client = client
        self.discovered = asyncio.Event()  # the first discovery finished (workspace pulls wait for it)
        self._timer: asyncio.TimerHandle | None = None

    async def discover(self) -> None:
        """Find every project of every workspace folder (off the loop) and check the new or changed ones."""
        session = self.session
        found: dict[Path, Project] = {}
        for folder in session.folders:
            globs = session.engine_settings_for(folder).requirement_globs
            try:
                projects = await self.scheduler.in_pool(find_projects, folder, globs)
            except OSError as error:
                self.client.log(f"venvsense: cannot read workspace folder {folder}: {error}",
                                types.MessageType.Warning)
                continue
            for project in projects:
                found.setdefault(project.root, project)
        # projects opened outside the folders (single-file mode) stay while one of their documents is open
        for root, state in session.projects.items():
            if root not in found and not session.in_workspace(root) and session.has_open_documents(root):
                found[root] = state.project
        self.replace_projects(found)
        self.discovered.set()

    def replace_projects(self, found: Mapping[Path, Project]) -> None:
        projects = self.session.projects
        for root in [r for r in projects if r not in found]:
            self.scheduler.cancel(projects.pop(root))
            self.publisher.forget_project(root)
        for root, project in found.items():
            known = projects.get(root)
            if known is None:
                projects[root] = known = ProjectState(project)
                self.scheduler.request(known)
            elif known.project != project:
                known.project = project
                self.scheduler.request(known)
        self.publisher.send_status()

    def schedule(self, delay: float = DISK_DEBOUNCE) -> None:
        """Discover again after ``delay`` seconds of quiet (each call restarts the wait)."""
        if self._timer:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, lambda: self.scheduler.spawn(self.discover()))

    async def refresh_project(self, root: Path) -> None:
        """Read a project's manifests list again (a file appeared or went in its root), then check it."""
        state = self.session.projects.get(root)
        if state is None:
            return
        globs = self.session.engine_settings_for(root).requirement_globs
        project = await self.scheduler.in_pool(project_at, root, globs)
        if self.session.projects.get(root) is state:
            if project != state.project and state.project.single_manifest is None:
                state.project = project
            self.scheduler.request(state, 0.05)
