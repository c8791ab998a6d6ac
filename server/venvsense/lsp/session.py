"""The server's session state: workspace folders, settings (the workspace's and each folder's), open documents
and projects, with the pure queries on them (which project holds a file, which ones read it, a snapshot of
the buffers a check reads). Nothing here talks to the client or schedules work."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from venvsense.check import ProjectReport
from venvsense.config import Settings
from venvsense.lsp import convert
from venvsense.lsp.notebooks import NotebookView, cell_document, open_notebooks, view_of
from venvsense.lsp.settings import ServerSettings, mentions, read_settings, section_of
from venvsense.manifests import glob_matches, is_manifest
from venvsense.model import Project, is_project_root, project_at
from venvsense.text import UnreadableFile, read_text


def inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(eq=False)
class ProjectState:
    """One project as the server tracks it."""

    project: Project
    report: ProjectReport | None = None
    generation: int = 0  # bumped by every reason to check again
    checked_generation: int = -1  # the generation ``report`` answers (-1: never checked)
    running: bool = False
    timer: asyncio.TimerHandle | None = None
    busy: str | None = None  # the action running on the project, for the status
    venv: Path | None = None  # the venv chosen in this session ("Use this project's .venv")
    fresh: asyncio.Event = field(default_factory=asyncio.Event)
    checks: int = 0
    # what changed since ``report`` was computed: editor buffers only (``edited_buffers``), or anything
    # (``needs_full_check``: disk, settings, discovery); a check of manifest edits alone reuses the import scan
    needs_full_check: bool = True
    edited_buffers: set[Path] = field(default_factory=set)
    incremental_checks: int = 0  # how many checks reused the import scan (for tests and the log)
    # the open modules whose early findings (``early.py``) were shown before the first check ended, and when
    early_paths: set[Path] = field(default_factory=set)
    early: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def checked(self) -> bool:
        """Whether a check of this project finished once (``report`` stays ``None`` when it failed)."""
        return self.checked_generation >= 0

    @property
    def current(self) -> bool:
        return self.report is not None and self.checked_generation == self.generation and not self.running


@dataclass(frozen=True)
class Snapshot:
    """The editor buffers a check read: text and version by path; the open notebooks among them (their text is
    in ``texts``, their cells and versions here)."""

    texts: Mapping[Path, str]
    versions: Mapping[Path, int | None]
    notebooks: Mapping[Path, NotebookView] = field(default_factory=dict)


@dataclass(frozen=True)
class FolderSettings:
    """A workspace folder's own settings (its ``workspace/configuration`` answer over the workspace's)."""

    server: ServerSettings
    engine: Settings


class Session:
    """Folders, settings, documents and projects of one client session."""

    def __init__(self, workspace: Callable[[], Workspace]) -> None:
        self._workspace = workspace  # pygls' workspace (open buffers, position encoding), made at initialize
        self.settings = ServerSettings()  # what the client sent for the whole workspace
        self.engine_settings = Settings()
        self.raw_settings: Mapping[str, Any] = {}
        # a workspace folder → its own settings, laid over the workspace's; trust is never per folder
        self.folder_settings: dict[Path, FolderSettings] = {}
        self.pull = False  # diagnostics are pulled by the client (else pushed)
        self.folders: list[Path] = []
        self.projects: dict[Path, ProjectState] = {}
        self.document_paths: dict[str, Path] = {}
        self.document_uris: dict[Path, str] = {}

    # --- settings ----------------------------------------------------------------------------------------

    def take_settings(self, raw: Any, *, initial: bool = False) -> tuple[bool, list[str]]:
        """Take the client's workspace settings: whether something that changes findings changed, and one
        sentence per value that could not be used."""
        settings, errors = read_settings(raw, initial=initial)
        if not initial:
            settings = replace(settings, pull_diagnostics=self.settings.pull_diagnostics)
            if not mentions(raw, "trusted"):  # a payload without the key never changes trust
                settings = replace(settings, trusted=self.settings.trusted)
        changed = settings.engine != self.settings.engine
        self.settings = settings
        self.engine_settings = settings.engine_settings()
        self.raw_settings = dict(section_of(raw))
        return changed, errors

    def take_folder_settings(self, found: dict[Path, FolderSettings]) -> bool:
        """Replace the folders' own settings; whether one that changes findings changed."""
        changed = {f: s.server.engine for f, s in found.items()} != {
            f: s.server.engine for f, s in self.folder_settings.items()}
        self.folder_settings = found
        return changed

    def _folder_of(self, path: Path) -> Path | None:
        """The innermost workspace folder with settings of its own that holds ``path``."""
        holding = [folder for folder in self.folder_settings if inside(path, folder)]
        return max(holding, key=lambda folder: len(folder.parts)) if holding else None

    def server_settings_for(self, root: Path) -> ServerSettings:
        """The settings that apply to the project at ``root``: its folder's, else the workspace's."""
        folder = self._folder_of(root)
        return self.folder_settings[folder].server if folder is not None else self.settings

    def engine_settings_for(self, root: Path) -> Settings:
        folder = self._folder_of(root)
        return self.folder_settings[folder].engine if folder is not None else self.engine_settings

    def check_settings(self, state: ProjectState) -> Settings:
        """The engine settings a check of ``state`` runs with (its session venv, when one was chosen)."""
        settings = replace(self.engine_settings_for(state.root), workspace=tuple(self.folders),
                           trusted=self.settings.trusted)
        if state.venv is not None:
            return replace(settings, venv=state.venv)
        return settings

    def requirement_globs(self) -> tuple[str, ...]:
        """Every extra requirement-file pattern in force anywhere (what the client is asked to watch)."""
        globs = dict.fromkeys(self.engine_settings.requirement_globs)
        for folder in self.folder_settings.values():
            globs.update(dict.fromkeys(folder.engine.requirement_globs))
        return tuple(globs)

    # --- folders -----------------------------------------------------------------------------------------

    def set_folders(self, folders: Iterable[types.WorkspaceFolder], root_uri: str | None = None) -> None:
        paths = [convert.path_of(f.uri) for f in folders]
        if not paths and root_uri:
            paths = [convert.path_of(root_uri)]
        self.folders = [p for p in paths if p is not None]

    def in_workspace(self, path: Path) -> bool:
        return any(inside(path, folder) for folder in self.folders)

    def publishable(self, path: Path) -> bool:
        """Whether diagnostics may be published for ``path``: a document inside a workspace folder or inside a
        project the person opened a file of (never ``file:///etc/shadow`` reached by an include)."""
        return self.in_workspace(path) or any(inside(path, root) for root in self.projects)

    # --- documents ---------------------------------------------------------------------------------------

    @property
    def workspace(self) -> Workspace:
        return self._workspace()

    def path_of_document(self, uri: str) -> Path | None:
        found = self.document_paths.get(uri)
        if found is None:
            found = convert.path_of(uri)
            if found is not None:
                self.document_paths[uri] = found
                self.document_uris[found] = uri
        return found

    def forget_document(self, uri: str) -> Path | None:
        """A document was closed: forget its URI; its path (``None`` for a non-file URI)."""
        path = self.path_of_document(uri)
        self.document_paths.pop(uri, None)
        if path is not None and self.document_uris.get(path) == uri:
            del self.document_uris[path]
        return path

    def open_document(self, path: Path) -> TextDocument | None:
        uri = self.document_uris.get(path)
        return self.workspace.text_documents.get(uri) if uri is not None else None

    def has_open_documents(self, root: Path) -> bool:
        open_uris = self.workspace.text_documents
        return (any(inside(p, root) for u, p in self.document_paths.items() if u in open_uris)
                or any(inside(p, root) for p, _ in open_notebooks(self.workspace)))

    def notebook_view(self, path: Path) -> NotebookView | None:
        """The open notebook at ``path`` as it is now (``None`` when it is not open)."""
        for found, notebook in open_notebooks(self.workspace):
            if found == path:
                return view_of(self.workspace, notebook)
        return None

    def snapshot(self, root: Path) -> Snapshot:
        """The open buffers under ``root``, as a check reads them."""
        texts: dict[Path, str] = {}
        versions: dict[Path, int | None] = {}
        for uri, document in self.workspace.text_documents.items():
            path = self.path_of_document(uri)
            if path is not None and inside(path, root):
                texts[path] = document.source
                versions[path] = document.version
        notebooks: dict[Path, NotebookView] = {}
        for path, notebook in open_notebooks(self.workspace):
            if inside(path, root):
                notebooks[path] = view = view_of(self.workspace, notebook)
                texts[path] = view.json
        return Snapshot(texts, versions, notebooks)

    def versions_hold(self, snapshot: Snapshot) -> bool:
        """Whether every buffer a check read is still at the version it read (else the result is stale)."""
        for path, version in snapshot.versions.items():
            document = self.open_document(path)
            if document is not None and document.version != version:
                return False
        if snapshot.notebooks:  # a notebook, or one of its cells, changed since (a closed one is said elsewhere)
            workspace = self.workspace
            now = {path: notebook for path, notebook in open_notebooks(workspace)}
            for path, view in snapshot.notebooks.items():
                notebook = now.get(path)
                if notebook is not None and (notebook.version != view.version or view.cell_versions != tuple(
                        getattr(cell_document(workspace, cell.document), "version", None) for cell in notebook.cells)):
                    return False
        return True

    def text_of(self, path: Path) -> str | None:
        """A file's text as the editor has it: the open buffer, else the file on disk."""
        document = self.open_document(path)
        if document is not None:
            return document.source
        try:
            return read_text(path)
        except UnreadableFile:
            return None

    def lines_for(self, path: Path, snapshot: Snapshot | None = None) -> Sequence[str] | None:
        if snapshot is not None and path in snapshot.texts:
            return snapshot.texts[path].splitlines()
        document = self.open_document(path)
        if document is not None:
            return document.source.splitlines()
        return convert.read_lines(path)

    def converter_for(self, path: Path, snapshot: Snapshot | None = None) -> convert.PositionConverter:
        return convert.PositionConverter(self.workspace.position_codec, self.lines_for(path, snapshot))

    # --- projects ----------------------------------------------------------------------------------------

    def project_of(self, path: Path) -> ProjectState | None:
        """The deepest known project containing ``path``."""
        for parent in path.parents:
            state = self.projects.get(parent)
            if state is not None:
                return state
        return None

    def projects_reading(self, path: Path) -> list[ProjectState]:
        """The project containing ``path`` and every project whose last check read it (``-r ../x.txt``)."""
        found: list[ProjectState] = []
        owner = self.project_of(path)
        if owner is not None:
            found.append(owner)
        for state in self.projects.values():
            if state is not owner and state.report is not None and path in state.report.files:
                found.append(state)
        return found

    def adopt_project(self, folder: Path) -> ProjectState | None:
        """Adopt the nearest project root at or above ``folder``, outside the workspace folders (a file opened
        on its own, a command about such a project); ``None`` when there is none. Discovery does not see these
        projects: they stay while one of their documents is open."""
        for candidate in (folder, *folder.parents):
            if is_project_root(candidate):
                state = ProjectState(project_at(candidate, self.engine_settings_for(candidate).requirement_globs))
                self.projects[candidate] = state
                return state
        return None

    def is_manifest(self, path: Path) -> bool:
        """Whether ``path`` is a manifest by its name (the one policy of ``venvsense.manifests``)."""
        return is_manifest(path, path.parent)

    def is_configured_manifest(self, path: Path) -> bool:
        """Whether ``path`` matches a requirement-file pattern of the settings (``requirements``) of its project."""
        owner = self.project_of(path)
        if owner is None:
            return False
        globs = self.engine_settings_for(owner.root).requirement_globs
        if not globs:
            return False
        relative = path.relative_to(owner.root).as_posix()
        return any(glob_matches(relative, glob) for glob in globs)

    def environment_owners(self) -> dict[Path, set[Path]]:
        """Each venv in use → the projects that use it."""
        owners: dict[Path, set[Path]] = {}
        for root, state in self.projects.items():
            env = state.report.environment if state.report else None
            if env is not None:
                owners.setdefault(env.path, set()).add(root)
            for script in state.report.scripts if state.report else ():  # its own, or where one would appear
                for folder in script.environment_folders(os.environ):
                    owners.setdefault(folder, set()).add(root)
        return owners
