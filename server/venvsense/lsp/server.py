"""The language server's state: projects, their latest reports, open-document versions, published diagnostics.

All the checking is ``venvsense.analysis.check_project``, run in a thread pool off the event loop with the
open editor buffers as overrides. Each project has a *generation* that every reason to check again bumps
(an edit, a file changed on disk, a setting); a result computed for an older generation is dropped, never
published, and the newest request is run once the stale one finishes (a thread cannot be interrupted, so
stale work is superseded rather than cancelled). Handlers (``handlers.py``) only convert and call in here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fnmatch
import gc
import inspect
import json
import linecache
import logging
import os
import sys
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, LanguageServerProtocol
from pygls.workspace import TextDocument

from venvsense import __version__
from venvsense.analysis import ProjectReport, check_project, recheck_manifests
from venvsense.config import Settings
from venvsense.findings import Finding
from venvsense.lsp import convert
from venvsense.lsp.settings import SECTION, ServerSettings, mentions, read_settings, section_of
from venvsense.lsp.status import STATUS_NOTIFICATION, project_status
from venvsense.text import UnreadableFile, read_text
from venvsense.workspace import Project, find_projects, is_project_root, is_requirements_name, project_at

logger = logging.getLogger("venvsense.lsp")

ANALYSIS_WORKERS = 2
DISK_DEBOUNCE = 0.25  # seconds of quiet after a file-system event before checking again (bursts → one check)
FRESH_TIMEOUT = 30.0  # how long a pull-diagnostics request waits for a running check
FOLDER_SETTINGS_TIMEOUT = 5.0  # seconds a client may take to answer for its folders' settings
RELEASE_AFTER = 0.5  # seconds: after a check this long, hand freed memory back to the system
MANIFEST_NAMES = frozenset({"pyproject.toml", "setup.cfg", ".python-version", "Pipfile"})


@dataclass(eq=False)
class ProjectState:
    """One project as the server tracks it."""

    project: Project
    report: ProjectReport | None = None
    generation: int = 0  # bumped by every reason to check again
    done: int = -1  # the generation ``report`` answers
    running: bool = False
    timer: asyncio.TimerHandle | None = None
    busy: str | None = None  # the action running on the project, for the status
    venv: Path | None = None  # the venv chosen in this session ("Use this project's .venv")
    fresh: asyncio.Event = field(default_factory=asyncio.Event)
    checks: int = 0
    # what changed since ``report`` was computed: editor buffers only (``edited``), or anything (``full``: disk,
    # settings, discovery); a check of manifest edits alone reuses the report's import scan
    full: bool = True
    edited: set[Path] = field(default_factory=set)
    incremental_checks: int = 0  # how many checks reused the import scan (for tests and the log)

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def current(self) -> bool:
        return self.report is not None and self.done == self.generation and not self.running


@dataclass(frozen=True)
class Snapshot:
    """The editor buffers a check read: text and version by path."""

    texts: Mapping[Path, str]
    versions: Mapping[Path, int | None]


def release_memory() -> None:
    """Return the heap's free pages to the system (glibc keeps them after a big check otherwise)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def freeze_heap() -> None:
    """Move every object alive now (modules, protocol classes, the start-up index) out of the cyclic garbage
    collector's sight: its full passes would otherwise walk hundreds of thousands of long-lived objects, a
    pause that lands on some keystroke. Objects freed later by reference counting
    still go; only cyclic garbage among them would stay (the reports make none). Also drops the sources
    attrs keeps in ``linecache`` for the methods it generated (lsprotocol's classes) and hands free
    heap pages back."""
    linecache.clearcache()
    gc.collect()
    gc.freeze()
    release_memory()


def inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class VenvsenseProtocol(LanguageServerProtocol):
    """pygls' protocol, except that ``publishDiagnostics`` goes out as the plain JSON we build: converting
    hundreds of diagnostics to protocol objects and back costs milliseconds on every keystroke."""

    def get_message_type(self, method: str) -> Any:  # type: ignore[override]  # base is an lru_cache
        if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            return JsonRPCNotification
        return super().get_message_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        # JSON-RPC lets a request without parameters omit ``params``; pygls' generic message types require the
        # key, and a message it cannot read gets no answer at all (the client would wait forever)
        method = data.get("method")
        if "params" not in data and isinstance(method, str) and method.startswith("venvsense/"):
            data = {**data, "params": None}
        return super().structure_message(data)

    def notify_json(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification whose ``params`` are plain JSON already: ``notify`` would pass them through
        cattrs' ``unstructure`` value by value (slow for hundreds of diagnostics), ``json.dumps`` needs no help."""
        self._send_data({"jsonrpc": "2.0", "method": method, "params": params})

    def send_text(self, body: str) -> None:
        """Send one message already serialized (ASCII JSON, as ``json.dumps`` makes it): ``_send_data``'s
        framing without its ``json.dumps``."""
        if self.writer is None:
            return
        if self._include_headers:
            body = (f"Content-Length: {len(body)}\r\n"
                    f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n{body}")
        result = self.writer.write(body.encode(self.CHARSET))
        if inspect.isawaitable(result):  # an asynchronous transport (pygls' own _send_data does the same)
            asyncio.ensure_future(result)  # noqa: RUF006


class VenvsenseServer(LanguageServer):
    """The venvsense language server; ``handlers.py`` wires the protocol to the methods here."""

    def __init__(self) -> None:
        super().__init__("venvsense", __version__, protocol_cls=VenvsenseProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = ServerSettings()  # what the client sent for the whole workspace
        self.engine_settings = Settings()
        self._raw_settings: Mapping[str, Any] = {}
        # a workspace folder → its own settings (``workspace/configuration`` with the folder as scope), laid over
        # the workspace's; trust is never per folder
        self.folder_settings: dict[Path, tuple[ServerSettings, Settings]] = {}
        self.pull = False
        self.folders: list[Path] = []
        self.projects: dict[Path, ProjectState] = {}
        # project root → file → its findings there (a file included by two projects shows both sets);
        # converted to diagnostics only when sent, so no second copy of a big project's findings is kept
        self.findings: dict[Path, dict[Path, tuple[Finding, ...]]] = {}
        self.reported: set[Path] = set()  # every file diagnostics were ever published for (workspace pulls)
        self.document_paths: dict[str, Path] = {}
        self.document_uris: dict[Path, str] = {}
        self.analysis_pool = ThreadPoolExecutor(ANALYSIS_WORKERS, thread_name_prefix="venvsense-check")
        self.last_status: list[dict[str, Any]] | None = None
        self.discovered = asyncio.Event()
        self._discovery_timer: asyncio.TimerHandle | None = None
        self._refresh_pending = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.publish_count = 0
        self._indexed = False  # every project found at start-up has been checked once
        self._diagnostic_texts: dict[Path, dict[tuple[object, ...], str]] = {}  # file → finding → diagnostic JSON
        self.poller: Any = None  # watch.Poller, started at ``initialized``

    # --- messages to the person ------------------------------------------------------------------------

    def log(self, message: str, level: types.MessageType = types.MessageType.Log) -> None:
        """A line in the client's output log (``window/logMessage``), and in our own log."""
        logger.log(logging.WARNING if level <= types.MessageType.Warning else logging.INFO, "%s", message)
        with contextlib.suppress(Exception):  # no client yet (or it went away): the stderr log is enough
            self.window_log_message(types.LogMessageParams(type=level, message=message))

    def show(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        """A message the person sees (``window/showMessage``)."""
        try:
            self.window_show_message(types.ShowMessageParams(type=level, message=message))
        except Exception:
            logger.warning("%s", message)

    def log_error(self, what: str, error: BaseException) -> None:
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.log(f"venvsense: {what} failed (a bug, please report it):\n{detail}", types.MessageType.Error)

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        """Run a coroutine in the background, keeping a reference and logging what it raises."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                self.log_error("a background task", finished.exception())  # type: ignore[arg-type]

        task.add_done_callback(done)
        return task

    def notify_json(self, method: str, params: dict[str, Any]) -> None:
        protocol = self.protocol
        if isinstance(protocol, VenvsenseProtocol):
            protocol.notify_json(method, params)
        else:
            protocol.notify(method, params)

    # --- settings and workspace ------------------------------------------------------------------------

    def configure(self, raw: Any, *, initial: bool = False) -> bool:
        """Take the client's settings; ``True`` when something that changes findings changed."""
        settings, errors = read_settings(raw, initial=initial)
        for error in errors:
            self.show(f"venvsense: {error} (ignored)", types.MessageType.Warning)
        if not initial:
            settings = replace(settings, pull_diagnostics=self.settings.pull_diagnostics)
            if not mentions(raw, "trusted"):  # a payload without the key never changes trust
                settings = replace(settings, trusted=self.settings.trusted)
        changed = settings.engine != self.settings.engine
        self.settings = settings
        self.engine_settings = settings.engine_settings()
        self._raw_settings = dict(section_of(raw))
        return changed

    async def pull_folder_settings(self) -> bool:
        """Ask the client for each workspace folder's own settings (when it can answer); ``True`` when one
        that changes findings changed. A folder whose answer is empty has no settings of its own."""
        if get_capability(self.client_capabilities, "workspace.configuration", False) is not True or not self.folders:
            changed = bool(self.folder_settings)
            self.folder_settings = {}
            return changed
        folders = list(self.folders)
        try:
            answers = await asyncio.wait_for(self.workspace_configuration_async(types.ConfigurationParams(items=[
                types.ConfigurationItem(scope_uri=folder.as_uri(), section=SECTION) for folder in folders
            ])), FOLDER_SETTINGS_TIMEOUT)
        except Exception as error:  # a client that cannot answer: the workspace's settings apply everywhere
            self.log(f"venvsense: no per-folder settings from the client ({str(error) or type(error).__name__})")
            answers = []
        found: dict[Path, tuple[ServerSettings, Settings]] = {}
        for folder, answer in zip(folders, answers or [], strict=False):
            table = section_of(answer)
            if not table:
                continue
            settings, problems = read_settings({**self._raw_settings, **table})
            for problem in problems:
                self.show(f"venvsense: {problem} in {folder.name} (ignored)", types.MessageType.Warning)
            settings = replace(settings, trusted=self.settings.trusted, pull_diagnostics=self.settings.pull_diagnostics)
            found[folder] = (settings, settings.engine_settings())
        changed = {f: s.engine for f, (s, _) in found.items()} != {
            f: s.engine for f, (s, _) in self.folder_settings.items()}
        self.folder_settings = found
        return changed

    def _folder_of(self, path: Path) -> Path | None:
        """The innermost workspace folder with settings of its own that holds ``path``."""
        holding = [folder for folder in self.folder_settings if inside(path, folder)]
        return max(holding, key=lambda folder: len(folder.parts)) if holding else None

    def server_settings_for(self, root: Path) -> ServerSettings:
        """The settings that apply to the project at ``root``: its folder's, else the workspace's."""
        folder = self._folder_of(root)
        return self.folder_settings[folder][0] if folder is not None else self.settings

    def engine_settings_for(self, root: Path) -> Settings:
        folder = self._folder_of(root)
        return self.folder_settings[folder][1] if folder is not None else self.engine_settings

    def requirement_globs(self) -> tuple[str, ...]:
        """Every extra requirement-file pattern in force anywhere (what the client is asked to watch)."""
        globs = dict.fromkeys(self.engine_settings.requirements)
        for _, engine in self.folder_settings.values():
            globs.update(dict.fromkeys(engine.requirements))
        return tuple(globs)

    def choose_diagnostic_mode(self) -> None:
        forced = self.settings.pull_diagnostics
        supported = get_capability(self.client_capabilities, "text_document.diagnostic") is not None
        self.pull = supported if forced is None else (forced and supported)
        self.log(f"venvsense {__version__}: {'pull' if self.pull else 'push'} diagnostics", types.MessageType.Info)

    def set_folders(self, folders: Iterable[types.WorkspaceFolder], root_uri: str | None = None) -> None:
        paths = [convert.path_of(f.uri) for f in folders]
        if not paths and root_uri:
            paths = [convert.path_of(root_uri)]
        self.folders = [p for p in paths if p is not None]

    def in_workspace(self, path: Path) -> bool:
        return any(inside(path, folder) for folder in self.folders)

    async def discover(self) -> None:
        """Find every project of every workspace folder (off the loop) and check the new or changed ones."""
        loop = asyncio.get_running_loop()
        found: dict[Path, Project] = {}
        for folder in self.folders:
            globs = self.engine_settings_for(folder).requirements
            try:
                projects = await loop.run_in_executor(self.analysis_pool, find_projects, folder, globs)
            except OSError as error:
                self.log(f"venvsense: cannot read workspace folder {folder}: {error}", types.MessageType.Warning)
                continue
            for project in projects:
                found.setdefault(project.root, project)
        # projects opened outside the folders (single-file mode) stay while one of their documents is open
        for root, state in self.projects.items():
            if root not in found and not self.in_workspace(root) and self._has_open_documents(root):
                found[root] = state.project
        self.replace_projects(found)
        self.discovered.set()

    def replace_projects(self, found: Mapping[Path, Project]) -> None:
        for root in [r for r in self.projects if r not in found]:
            state = self.projects.pop(root)
            if state.timer:
                state.timer.cancel()
            self._forget_diagnostics(root)
        for root, project in found.items():
            known = self.projects.get(root)
            if known is None:
                self.projects[root] = known = ProjectState(project)
                self.request(known)
            elif known.project != project:
                known.project = project
                self.request(known)
        self.send_status()

    def schedule_discovery(self, delay: float = DISK_DEBOUNCE) -> None:
        loop = asyncio.get_running_loop()
        if self._discovery_timer:
            self._discovery_timer.cancel()
        self._discovery_timer = loop.call_later(delay, lambda: self.spawn(self.discover()))

    # --- documents -------------------------------------------------------------------------------------

    def path_of_document(self, uri: str) -> Path | None:
        found = self.document_paths.get(uri)
        if found is None:
            found = convert.path_of(uri)
            if found is not None:
                self.document_paths[uri] = found
                self.document_uris[found] = uri
        return found

    def open_document(self, path: Path) -> TextDocument | None:
        uri = self.document_uris.get(path)
        return self.workspace.text_documents.get(uri) if uri is not None else None

    def _has_open_documents(self, root: Path) -> bool:
        return any(inside(p, root) for u, p in self.document_paths.items() if u in self.workspace.text_documents)

    def snapshot(self, root: Path) -> Snapshot:
        texts: dict[Path, str] = {}
        versions: dict[Path, int | None] = {}
        for uri, document in self.workspace.text_documents.items():
            path = self.path_of_document(uri)
            if path is not None and inside(path, root):
                texts[path] = document.source
                versions[path] = document.version
        return Snapshot(texts, versions)

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

    def adopt(self, path: Path) -> ProjectState | None:
        """The project of a document, creating one for a file opened outside the workspace folders."""
        state = self.project_of(path)
        if state is not None or self.in_workspace(path):
            if state is None and self._is_manifest(path):
                self.schedule_discovery(0.0)
            return state
        for parent in path.parents:
            if is_project_root(parent):
                self.projects[parent] = state = ProjectState(
                    project_at(parent, self.engine_settings_for(parent).requirements))
                return state
        return None

    @staticmethod
    def _is_manifest(path: Path) -> bool:
        return path.name in MANIFEST_NAMES or is_requirements_name(path, path.parent)

    def _configured(self, path: Path) -> bool:
        """Whether ``path`` matches a requirement-file pattern of the settings (``requirements``) of its project."""
        owner = self.project_of(path)
        if owner is None:
            return False
        globs = self.engine_settings_for(owner.root).requirements
        if not globs:
            return False
        relative = path.relative_to(owner.root).as_posix()
        return any(fnmatch.fnmatch(relative, glob.lstrip("/")) for glob in globs)

    def document_changed(self, uri: str) -> None:
        path = self.path_of_document(uri)
        if path is None:
            return
        states = self.projects_reading(path) or [s for s in [self.adopt(path)] if s]
        for state in states:
            self.request(state, edited=path)

    def document_closed(self, uri: str) -> None:
        path = self.path_of_document(uri)
        self.document_paths.pop(uri, None)
        if path is not None:
            self._diagnostic_texts.pop(path, None)
        if path is not None and self.document_uris.get(path) == uri:
            del self.document_uris[path]
        if path is None:
            return
        for state in self.projects_reading(path):
            self.request(state, edited=path)

    # --- checking --------------------------------------------------------------------------------------

    def settings_for(self, state: ProjectState) -> Settings:
        settings = self.engine_settings_for(state.root)
        if state.venv is not None:
            return replace(settings, venv=state.venv)
        return settings

    def request(self, state: ProjectState, delay: float = 0.0, *, edited: Path | None = None) -> None:
        """Check the project again, now or after ``delay`` seconds of quiet (each call restarts the wait).

        ``edited``: the reason is an edit of that editor buffer (else anything may have changed)."""
        if edited is None:
            state.full = True
        else:
            state.edited.add(edited)
        state.generation += 1
        state.fresh.clear()
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        if delay > 0:
            loop = asyncio.get_running_loop()
            state.timer = loop.call_later(delay, self._timer_fired, state)
        else:
            self._start(state)

    def request_all(self, delay: float = 0.0) -> None:
        for state in list(self.projects.values()):
            self.request(state, delay)

    def _timer_fired(self, state: ProjectState) -> None:
        state.timer = None
        self._start(state)

    def _start(self, state: ProjectState) -> None:
        if state.running or self.projects.get(state.root) is not state:
            return  # the running check restarts when it sees it is stale
        state.running = True
        self.spawn(self._check(state, state.generation, self.snapshot(state.root)))

    async def _check(self, state: ProjectState, generation: int, snapshot: Snapshot) -> None:
        loop = asyncio.get_running_loop()
        settings = self.settings_for(state)
        started = time.perf_counter()
        report: ProjectReport | None = None
        previous = state.report
        # only manifest buffers edited since ``previous``: no module changed, its import scan still holds
        incremental = previous is not None and not state.full and all(p.suffix != ".py" for p in state.edited)
        project = state.project

        def run() -> ProjectReport:
            if incremental and previous is not None:
                return recheck_manifests(previous, project, settings, overrides=snapshot.texts)
            return check_project(project, settings, overrides=snapshot.texts)

        try:
            report = await loop.run_in_executor(self.analysis_pool, run)
        except Exception as error:
            self.log_error(f"checking {state.root}", error)
        finally:
            state.running = False
        state.checks += 1
        if state.generation != generation or self.projects.get(state.root) is not state:
            if state.timer is None and self.projects.get(state.root) is state:
                self._start(state)  # superseded: drop this result, check the newest state
            return
        if not self._versions_hold(snapshot):
            state.generation += 1
            self._start(state)
            return
        state.done = generation
        if report is not None:
            state.report = report
            # nothing was requested since this check started (else it would be stale): it covers every change
            state.full = False
            state.edited.clear()
            state.incremental_checks += incremental
            self.publish(state, report, snapshot)
        elapsed = time.perf_counter() - started
        logger.debug("checked %s in %.1f ms", state.root, elapsed * 1000)
        state.fresh.set()
        self.send_status()
        if elapsed > RELEASE_AFTER:
            loop.run_in_executor(self.analysis_pool, release_memory)
        if not self._indexed and all(s.done >= 0 and not s.running for s in self.projects.values()):
            self._indexed = True
            freeze_heap()

    def _versions_hold(self, snapshot: Snapshot) -> bool:
        """Whether every buffer the check read is still at the version it read (else the result is stale)."""
        for path, version in snapshot.versions.items():
            document = self.open_document(path)
            if document is not None and document.version != version:
                return False
        return True

    async def wait_current(self, states: Sequence[ProjectState], timeout: float = FRESH_TIMEOUT) -> None:
        for state in states:
            if not state.current:
                try:
                    await asyncio.wait_for(state.fresh.wait(), timeout)
                except asyncio.TimeoutError:
                    self.log(f"venvsense: still checking {state.root}", types.MessageType.Warning)

    # --- diagnostics -----------------------------------------------------------------------------------

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

    def publish(self, state: ProjectState, report: ProjectReport, snapshot: Snapshot) -> None:
        root = state.root
        by_file: dict[Path, list[Finding]] = {path: [] for path in report.files}
        for finding in report.findings:
            by_file.setdefault(finding.file, []).append(finding)
        before = self.findings.get(root, {})
        now = {path: tuple(findings) for path, findings in by_file.items()}
        # pushed diagnostics answer every buffer the check read anyway: those need no comparison (the edited
        # requirements file of each keystroke, hundreds of findings)
        answered = () if self.pull else snapshot.versions
        changed = {path for path, items in now.items() if path not in answered and before.get(path) != items}
        changed.update(path for path in before if path not in now)
        self.findings[root] = now
        self.reported.update(now)
        if self.pull:
            if changed:
                self.refresh_pull_diagnostics()
            return
        # every buffer the check read gets an answer for its version, even when nothing changed
        for path in sorted(changed | set(snapshot.versions)):
            self.send_diagnostics(path, snapshot)

    def findings_for(self, path: Path) -> list[Finding]:
        return [f for by_path in self.findings.values() for f in by_path.get(path, ())]

    def diagnostics_for(self, path: Path) -> list[types.Diagnostic]:
        findings = self.findings_for(path)
        if not findings:
            return []
        converter = self.converter_for(path)
        return [convert.diagnostic(f, converter) for f in findings]

    def send_diagnostics(self, path: Path, snapshot: Snapshot | None = None) -> None:
        document = self.open_document(path)
        findings = self.findings_for(path)
        converter = self.converter_for(path, snapshot) if findings else None
        self.publish_count += 1
        uri = document.uri if document else convert.uri_of(path)
        version = document.version if document else None
        protocol = self.protocol
        if not isinstance(protocol, VenvsenseProtocol):
            self.notify_json(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, {
                "uri": uri,
                "diagnostics": [convert.diagnostic_json(f, converter) for f in findings] if converter else [],
                **({"version": version} if version is not None else {}),
            })
            return
        # the hot path of every keystroke: for an open document, each diagnostic's JSON text is kept from the
        # last publication and reused for an equal finding (a one-line edit changes one or two of hundreds);
        # a position needs no conversion on an ASCII line, so then the text does not depend on the buffer
        texts: list[str] = []
        if converter is not None:
            reusable = document is not None
            before = self._diagnostic_texts.get(path, {}) if reusable else {}
            kept: dict[tuple[object, ...], str] = {}
            for finding in findings:
                plain = reusable and converter.plain(finding.range)
                text = None
                if plain:
                    # what the JSON depends on, as plain values (a tuple of them hashes far faster than a Finding)
                    start, end = finding.range.start, finding.range.end
                    key = (finding.message, start.line, start.column, end.line, end.column, finding.code,
                           finding.severity, finding.package, finding.declared_in)
                    text = before.get(key)
                if text is None:
                    text = json.dumps(convert.diagnostic_json(finding, converter))
                if plain:
                    kept[key] = text
                texts.append(text)
            if kept:
                self._diagnostic_texts[path] = kept
            else:
                self._diagnostic_texts.pop(path, None)
        else:
            self._diagnostic_texts.pop(path, None)
        tail = f', "version": {int(version)}' if version is not None else ""
        protocol.send_text(f'{{"jsonrpc": "2.0", "method": "{types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}", '
                           f'"params": {{"uri": {json.dumps(uri)}, "diagnostics": [{", ".join(texts)}]{tail}}}}}')

    def _forget_diagnostics(self, root: Path) -> None:
        for path in self.findings.pop(root, {}):
            if self.pull:
                self.refresh_pull_diagnostics()
            else:
                self.send_diagnostics(path)

    def refresh_pull_diagnostics(self) -> None:
        if self._refresh_pending:
            return
        if get_capability(self.client_capabilities, "workspace.diagnostics.refresh_support", False) is not True:
            return
        self._refresh_pending = True

        def send() -> None:
            self._refresh_pending = False
            self.workspace_diagnostic_refresh(None)

        asyncio.get_running_loop().call_soon(send)

    # --- status ----------------------------------------------------------------------------------------

    def status_payload(self) -> dict[str, Any]:
        return {"projects": [
            project_status(convert.uri_of(root), state.report if state.done >= 0 else None, state.busy)
            for root, state in sorted(self.projects.items())
        ]}

    def send_status(self) -> None:
        payload = self.status_payload()
        if payload["projects"] != self.last_status:
            self.last_status = payload["projects"]
            self.notify_json(STATUS_NOTIFICATION, payload)

    # --- disk changes ----------------------------------------------------------------------------------

    def files_changed(self, changes: Iterable[tuple[Path, types.FileChangeType]],
                      delay: float = DISK_DEBOUNCE) -> None:
        """Files changed on disk (watched-file events, the poller): check what they affect, after a pause."""
        affected: set[Path] = set()
        rediscover = False
        env_owners = self.environment_owners()
        for path, kind in changes:
            for env_path, roots in env_owners.items():
                if inside(path, env_path):
                    affected.update(roots)
                    break
            else:
                if kind != types.FileChangeType.Changed and (self._is_manifest(path) or self._configured(path)):
                    rediscover = True
                if kind == types.FileChangeType.Changed and self.open_document(path) is not None:
                    continue  # the buffer, not the disk, is what is checked
                affected.update(s.root for s in self.projects_reading(path))
                if path.name == "pyvenv.cfg" or path.parent.name == "site-packages":
                    owner = self.project_of(path)
                    if owner is not None:
                        affected.add(owner.root)
        for root in affected:
            state = self.projects.get(root)
            if state is not None:
                self.request(state, delay)
        if rediscover:
            self.schedule_discovery()

    async def refresh_project(self, root: Path) -> None:
        """Read a project's manifests list again (a file appeared or went in its root), then check it."""
        state = self.projects.get(root)
        if state is None:
            return
        globs = self.engine_settings_for(root).requirements
        project = await asyncio.get_running_loop().run_in_executor(self.analysis_pool, project_at, root, globs)
        if self.projects.get(root) is state:
            if project != state.project and state.project.only is None:
                state.project = project
            self.request(state, 0.05)

    def environment_owners(self) -> dict[Path, set[Path]]:
        """Each venv in use → the projects that use it."""
        owners: dict[Path, set[Path]] = {}
        for root, state in self.projects.items():
            env = state.report.environment if state.report else None
            if env is not None:
                owners.setdefault(env.path, set()).add(root)
        return owners

    # --- shutting down ---------------------------------------------------------------------------------

    def stop_work(self) -> None:
        for state in self.projects.values():
            if state.timer:
                state.timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        self.analysis_pool.shutdown(wait=False, cancel_futures=True)


def start(tcp: tuple[str, int] | None = None) -> None:
    """Build the server with its handlers and run it until the client says exit."""
    from venvsense.lsp.handlers import build_server

    level = os.environ.get("VENVSENSE_LOG", "WARNING").upper()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.WARNING),
                        format="venvsense %(levelname)s %(name)s: %(message)s")
    server = build_server()
    freeze_heap()
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
