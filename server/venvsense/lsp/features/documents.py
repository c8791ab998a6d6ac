"""Open editor buffers (``didOpen``/``didChange``/``didClose``): each edit checks again, after its buffer, every
project that reads it; a file opened outside the workspace folders gets its project adopted."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from venvsense.lsp.context import Context
from venvsense.lsp.session import ProjectState


def projects_of_document(ctx: Context, path: Path) -> list[ProjectState]:
    """The projects a document belongs to: every project that reads it, else the project adopted for it."""
    found = ctx.session.projects_reading(path)
    if found:
        return found
    owner = project_for_document(ctx, path)
    return [owner] if owner is not None else []


def project_for_document(ctx: Context, path: Path) -> ProjectState | None:
    """The project of a document. Inside the workspace folders that is discovery's (a new manifest there
    means discovering again); outside them, the nearest project root above the file is adopted."""
    session = ctx.session
    state = session.project_of(path)
    if state is not None or session.in_workspace(path):
        if state is None and session.is_manifest(path):
            ctx.discovery.schedule(0.0)
        return state
    return session.adopt_project(path.parent)


def document_changed(ctx: Context, uri: str) -> None:
    path = ctx.session.path_of_document(uri)
    if path is None:
        return
    for state in projects_of_document(ctx, path):
        ctx.scheduler.request(state, edited=path)


def did_open(ctx: Context, params: types.DidOpenTextDocumentParams) -> None:
    document_changed(ctx, params.text_document.uri)
    path = ctx.session.path_of_document(params.text_document.uri)
    # (before the first discovery ends, that discovery finds the module's project: nothing to look for again)
    if (path is not None and path.suffix in (".py", ".ipynb") and ctx.session.in_workspace(path)
            and ctx.discovery.discovered.is_set() and ctx.session.project_of(path) is None):
        ctx.discovery.schedule()  # a module in no project: its folder may have become one (no manifest needed)


def did_change(ctx: Context, params: types.DidChangeTextDocumentParams) -> None:
    document_changed(ctx, params.text_document.uri)


def did_close(ctx: Context, params: types.DidCloseTextDocumentParams) -> None:
    # the file on disk is what is checked from now on
    path = ctx.session.forget_document(params.text_document.uri)
    if path is None:
        return
    ctx.publisher.forget_document(path)
    for state in ctx.session.projects_reading(path):
        ctx.scheduler.request(state, edited=path)
