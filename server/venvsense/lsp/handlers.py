"""The protocol surface, as one table: each LSP method and command → the feature handler that serves it.

Every handler is guarded: a bug is logged (``window/logMessage`` with the traceback) and the request gets an
empty result, so one bad request never takes the server down. Protocol errors meant for the client
(invalid command arguments, a refused command) pass through. Handlers receive the server's ``Context``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

import venvsense.lsp.features.completion as completion
from venvsense.lsp.context import Context
from venvsense.lsp.features import (
    code_actions,
    codelens,
    commands,
    diagnostics,
    documents,
    hover,
    inlay,
    lifecycle,
    links,
    notebooks,
    references,
    status,
    watching,
)
from venvsense.lsp.status import GET_STATUS_REQUEST


@dataclass(frozen=True)
class Feature:
    method: str
    handler: Callable[..., Any]
    options: Any = None
    empty: Callable[[], Any] = lambda: None  # what a request gets when its handler hits a bug


FEATURES: tuple[Feature, ...] = (
    Feature(types.INITIALIZE, lifecycle.initialize),
    Feature(types.INITIALIZED, lifecycle.initialized),
    Feature(types.SHUTDOWN, lifecycle.shutdown),
    Feature(types.TEXT_DOCUMENT_DID_OPEN, documents.did_open),
    Feature(types.TEXT_DOCUMENT_DID_CHANGE, documents.did_change),
    Feature(types.TEXT_DOCUMENT_DID_CLOSE, documents.did_close),
    Feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION, lifecycle.did_change_configuration),
    Feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, watching.did_change_watched_files),
    Feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, lifecycle.did_change_workspace_folders),
    Feature(types.TEXT_DOCUMENT_DIAGNOSTIC, diagnostics.document_diagnostic, diagnostics.OPTIONS,
            empty=lambda: types.RelatedFullDocumentDiagnosticReport(items=[])),
    Feature(types.WORKSPACE_DIAGNOSTIC, diagnostics.workspace_diagnostic,
            empty=lambda: types.WorkspaceDiagnosticReport(items=[])),
    Feature(types.TEXT_DOCUMENT_CODE_ACTION, code_actions.code_action, code_actions.OPTIONS, empty=list),
    Feature(types.TEXT_DOCUMENT_HOVER, hover.hover_at),
    Feature(GET_STATUS_REQUEST, status.get_status, empty=lambda: {"projects": []}),
    Feature(types.NOTEBOOK_DOCUMENT_DID_OPEN, notebooks.did_open),
    Feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE, notebooks.did_change),
    Feature(types.NOTEBOOK_DOCUMENT_DID_SAVE, notebooks.did_save),
    Feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE, notebooks.did_close),
    Feature(types.TEXT_DOCUMENT_COMPLETION, completion.completion, completion.OPTIONS),
    Feature(types.TEXT_DOCUMENT_INLAY_HINT, inlay.inlay_hint, inlay.OPTIONS, empty=list),
    Feature(types.TEXT_DOCUMENT_REFERENCES, references.references, empty=list),
    Feature(types.TEXT_DOCUMENT_DEFINITION, references.definition, empty=list),
    Feature(types.TEXT_DOCUMENT_DOCUMENT_LINK, links.document_link, links.OPTIONS, empty=list),
    Feature(types.TEXT_DOCUMENT_CODE_LENS, codelens.code_lens, codelens.OPTIONS, empty=list),
)

COMMANDS: dict[str, Callable[..., Any]] = commands.COMMAND_HANDLERS


def guarded(handler: Callable[..., Any], ctx: Context, empty: Callable[[], Any]) -> Callable[..., Any]:
    """``handler(ctx, ...)`` as pygls calls it, ``(ls, *arguments)``, logging a bug and answering ``empty()``
    instead of failing the request. The signature is pygls': a first parameter named ``ls`` gets the server,
    and ``*arguments`` takes a command's arguments as sent."""

    def report(error: Exception) -> Any:
        if isinstance(error, JsonRpcException):
            raise error
        ctx.client.log_error(handler.__name__, error)
        return empty()

    if inspect.iscoroutinefunction(handler):
        async def run_async(ls: LanguageServer, *arguments: Any) -> Any:
            try:
                return await handler(ctx, *arguments)
            except Exception as error:
                return report(error)

        run_async.__name__ = run_async.__qualname__ = handler.__name__
        return run_async

    def run(ls: LanguageServer, *arguments: Any) -> Any:
        try:
            return handler(ctx, *arguments)
        except Exception as error:
            return report(error)

    run.__name__ = run.__qualname__ = handler.__name__
    return run


def register(server: LanguageServer, ctx: Context) -> None:
    """Register every feature and command of the table on ``server``, each handed ``ctx``."""
    for feature in FEATURES:
        server.feature(feature.method, feature.options)(guarded(feature.handler, ctx, feature.empty))
    for name, command in COMMANDS.items():
        server.command(name)(guarded(command, ctx, lambda: None))
