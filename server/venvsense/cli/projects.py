"""From the command line's PATH arguments to the projects they name; a path that cannot be read is a usage
error (one line on stderr, exit 2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from venvsense.check import ProjectReport, check_project
from venvsense.config import Settings
from venvsense.firstparty import one_run
from venvsense.imports import DiskScanCache
from venvsense.model import Project, find_projects, is_project_root, project_at


class UsageError(Exception):
    """Bad arguments or an unusable path: one line on stderr, exit 2."""


class Watcher(Protocol):
    """Told of each project as its check starts and ends (``check``'s progress line)."""

    def started(self, project: Project) -> None: ...

    def finished(self, report: ProjectReport) -> None: ...


def projects_under(raw: str) -> list[Project]:
    """Every project at or under the path ``raw`` as typed (see ``find_projects``)."""
    try:
        return find_projects(Path(raw))
    except FileNotFoundError:
        raise UsageError(f"{raw}: no such file or directory") from None
    except OSError as error:
        raise UsageError(f"{raw}: {error.strerror or error}") from None


def projects_to_act_on(raw: str) -> list[Project]:
    """The projects ``create`` and ``fix`` work on: a project folder is that project alone (not the projects
    nested in it), anything else every project under it."""
    projects = projects_under(raw)
    resolved = Path(raw).resolve()
    if resolved.is_dir() and is_project_root(resolved):
        own = [p for p in projects if p.root == resolved]
        return own or [project_at(resolved)]
    return projects


def default_disk_cache() -> DiskScanCache | None:
    """The reading commands' on-disk cache: repeated runs on a large project reuse the import scans of the last
    one (``~/.cache/venvsense``); the language server starts each project from it too (``lsp.scheduler``). The
    lock files' models are kept in the same folder (``declarations.locks.stored``)."""
    from venvsense.declarations.locks import stored

    cache = DiskScanCache.default()
    stored.use(cache.folder if cache is not None else None)
    return cache


def check_paths(paths: Sequence[str], venv: str | None, *, imports: bool = True,
                disk_cache: DiskScanCache | None = None, watcher: Watcher | None = None) -> list[ProjectReport]:
    """The reports of every project under ``paths`` (default ``.``), checked against ``venv`` when given;
    ``disk_cache`` keeps import scans for the next run; ``watcher`` is told of each project."""
    settings = Settings(venv=Path(venv).resolve() if venv else None, check_imports=imports)
    with one_run():  # (read-only: what a workspace's projects share is found once)
        return _check_paths(paths, settings, disk_cache, watcher)


def _check_paths(paths: Sequence[str], settings: Settings, disk_cache: DiskScanCache | None,
                 watcher: Watcher | None) -> list[ProjectReport]:
    reports = []
    for raw in paths or ["."]:
        # the workspace is the folder named (a file's folder) and each project's root: the content of files
        # outside them (a `-r ../secret.txt`) is never shown
        named = Path(raw).resolve()
        workspace = (named if named.is_dir() else named.parent,)
        projects = projects_under(raw)
        if disk_cache is not None:
            # every project's cached scans first: a workspace root reads its members' imports (VS303), and a
            # nested project its enclosing project's, before those projects' own turn
            for project in projects:
                disk_cache.load(project.root, None)
        for project in projects:
            if watcher is not None:
                watcher.started(project)
            reports.append(check_project(project, replace(settings, workspace=workspace), disk_cache=disk_cache))
            if watcher is not None:
                watcher.finished(reports[-1])
    return reports
