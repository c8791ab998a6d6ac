"""The protocol surface, as a table: each LSP method → a small handler that converts and calls the server.

Every handler is guarded: a bug is logged (``window/logMessage`` with the traceback) and the request gets an
empty result, so one bad request never takes the server down. Protocol errors meant for the client
(invalid command arguments, a refused command) pass through.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException

from venvsense.lsp import convert, fixes, hover
from venvsense.lsp.commands import COMMAND_HANDLERS
from venvsense.lsp.server import VenvsenseServer
from venvsense.lsp.settings import SECTION
from venvsense.lsp.status import GET_STATUS_REQUEST
from venvsense.lsp.watch import Poller, register_watchers
from venvsense.text import Position, Range

# --- lifecycle ------------------------------------------------------------------------------------------


def initialize(ls: VenvsenseServer, params: types.InitializeParams) -> None:
    ls.configure(params.initialization_options, initial=True)
    ls.set_folders(params.workspace_folders or [], params.root_uri)
    ls.choose_diagnostic_mode()


async def initialized(ls: VenvsenseServer, params: types.InitializedParams) -> None:
    ls.poller = Poller(ls)
    ls.poller.start()
    await ls.pull_folder_settings()  # before discovery: a folder's own requirement globs find its projects
    ls.spawn(register_watchers(ls))
    await ls.discover()


def shutdown(ls: VenvsenseServer, params: None) -> None:
    poller: Poller | None = getattr(ls, "poller", None)
    if poller is not None:
        poller.stop()
    ls.stop_work()


# --- documents ------------------------------------------------------------------------------------------


def did_open(ls: VenvsenseServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.document_changed(params.text_document.uri)


def did_change(ls: VenvsenseServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.document_changed(params.text_document.uri)


def did_close(ls: VenvsenseServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.document_closed(params.text_document.uri)


# --- workspace ------------------------------------------------------------------------------------------


async def did_change_configuration(ls: VenvsenseServer, params: types.DidChangeConfigurationParams) -> None:
    raw = params.settings
    if not raw and get_capability(ls.client_capabilities, "workspace.configuration", False) is True:
        answer = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
        raw = answer[0] if answer else None
    globs = ls.requirement_globs()
    changed = ls.configure(raw) if raw is not None else False
    changed = await ls.pull_folder_settings() or changed
    if changed:
        if ls.requirement_globs() != globs:
            ls.spawn(register_watchers(ls, again=True))
            await ls.discover()
        ls.request_all()


def did_change_watched_files(ls: VenvsenseServer, params: types.DidChangeWatchedFilesParams) -> None:
    changes = [(path, change.type) for change in params.changes
               if (path := convert.path_of(change.uri)) is not None]
    ls.files_changed(changes)


async def did_change_workspace_folders(ls: VenvsenseServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    ls.set_folders(ls.workspace.folders.values())
    await ls.pull_folder_settings()
    await ls.discover()


# --- diagnostics (pull) ---------------------------------------------------------------------------------


async def document_diagnostic(ls: VenvsenseServer,
                              params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    path = ls.path_of_document(params.text_document.uri)
    if path is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    states = ls.projects_reading(path) or [s for s in [ls.adopt(path)] if s]
    for state in states:
        if not state.current and not state.running and state.timer is None:
            ls.request(state)
    await ls.wait_current(states)
    return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics_for(path))


async def workspace_diagnostic(ls: VenvsenseServer,
                               params: types.WorkspaceDiagnosticParams) -> types.WorkspaceDiagnosticReport:
    await ls.discovered.wait()
    await ls.wait_current(list(ls.projects.values()))
    items: list[types.WorkspaceDocumentDiagnosticReport] = []
    for path in sorted(ls.reported):
        document = ls.open_document(path)
        items.append(types.WorkspaceFullDocumentDiagnosticReport(
            uri=document.uri if document else convert.uri_of(path),
            items=ls.diagnostics_for(path),
            version=document.version if document else None,
        ))
    return types.WorkspaceDiagnosticReport(items=items)


# --- code actions, hover, status ------------------------------------------------------------------------


def code_action(ls: VenvsenseServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    path = ls.path_of_document(params.text_document.uri)
    state = ls.project_of(path) if path else None
    if path is None or state is None or state.report is None:
        return []
    converter = ls.converter_for(path)
    context = fixes.Context(
        report=state.report,
        project_uri=convert.uri_of(state.root),
        trusted=ls.settings.trusted,
        text_of=ls.text_of,
        converter_for=ls.converter_for,
        codec=ls.workspace.position_codec,
    )
    start = converter.from_client(params.range.start)
    end = converter.from_client(params.range.end)
    diagnosed = {
        (str(d.code), Range(converter.from_client(d.range.start), converter.from_client(d.range.end)))
        for d in params.context.diagnostics if d.source == convert.SOURCE
    }
    return fixes.code_actions(context, path, start, end, params.context.only, diagnosed)


def hover_at(ls: VenvsenseServer, params: types.HoverParams) -> types.Hover | None:
    path = ls.path_of_document(params.text_document.uri)
    state = ls.project_of(path) if path else None
    if path is None or state is None or state.report is None:
        return None
    position: Position = ls.converter_for(path).from_client(params.position)
    report = state.report
    text: str | None = None
    declaration = hover.declaration_at(report, path, position)
    if declaration is not None:
        text = hover.requirement_hover(report, declaration)
    elif path.suffix in (".py", ".pyi"):
        statement = hover.import_at(report, path, ls.text_of(path), position)
        if statement is not None:
            text = hover.import_hover(report, path, statement)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def get_status(ls: VenvsenseServer, params: Any) -> dict[str, Any]:
    return ls.status_payload()


# --- the table ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    method: str
    handler: Callable[..., Any]
    options: Any = None
    empty: Callable[[], Any] = lambda: None  # what a request gets when its handler hits a bug


FEATURES: tuple[Feature, ...] = (
    Feature(types.INITIALIZE, initialize),
    Feature(types.INITIALIZED, initialized),
    Feature(types.SHUTDOWN, shutdown),
    Feature(types.TEXT_DOCUMENT_DID_OPEN, did_open),
    Feature(types.TEXT_DOCUMENT_DID_CHANGE, did_change),
    Feature(types.TEXT_DOCUMENT_DID_CLOSE, did_close),
    Feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration),
    Feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files),
    Feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, did_change_workspace_folders),
    Feature(types.TEXT_DOCUMENT_DIAGNOSTIC, document_diagnostic,
            types.DiagnosticOptions(identifier="venvsense", inter_file_dependencies=True,
                                    workspace_diagnostics=True),
            empty=lambda: types.RelatedFullDocumentDiagnosticReport(items=[])),
    Feature(types.WORKSPACE_DIAGNOSTIC, workspace_diagnostic,
            empty=lambda: types.WorkspaceDiagnosticReport(items=[])),
    Feature(types.TEXT_DOCUMENT_CODE_ACTION, code_action,
            types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, fixes.FIX_ALL]),
            empty=list),
    Feature(types.TEXT_DOCUMENT_HOVER, hover_at),
    Feature(GET_STATUS_REQUEST, get_status, empty=lambda: {"projects": []}),
)


def guarded(handler: Callable[..., Any], empty: Callable[[], Any]) -> Callable[..., Any]:
    """``handler`` that logs a bug and answers ``empty()`` instead of failing the request."""

    def report(ls: VenvsenseServer, error: Exception) -> Any:
        if isinstance(error, JsonRpcException):
            raise error
        ls.log_error(handler.__name__, error)
        return empty()

    if inspect.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def run_async(ls: VenvsenseServer, *args: Any) -> Any:
            try:
                return await handler(ls, *args)
            except Exception as error:
                return report(ls, error)

        return run_async

    @functools.wraps(handler)
    def run(ls: VenvsenseServer, *args: Any) -> Any:
        try:
            return handler(ls, *args)
        except Exception as error:
            return report(ls, error)

    return run


def build_server() -> VenvsenseServer:
    server = VenvsenseServer()
    for feature in FEATURES:
        server.feature(feature.method, feature.options)(guarded(feature.handler, feature.empty))
    for name, command in COMMAND_HANDLERS.items():
        server.command(name)(guarded(command, lambda: None))
    return server
