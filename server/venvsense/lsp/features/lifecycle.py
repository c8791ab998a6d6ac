"""The session's lifecycle and configuration: ``initialize``/``initialized``/``shutdown``, workspace folders, and
settings (the workspace's, then each folder's own through ``workspace/configuration``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from lsprotocol import types

from venvsense import __version__
from venvsense.lsp.codec import speed_up
from venvsense.lsp.context import Context
from venvsense.lsp.features import refresh
from venvsense.lsp.features.watching import register_watchers
from venvsense.lsp.session import FolderSettings
from venvsense.lsp.settings import SECTION, read_settings, section_of

FOLDER_SETTINGS_TIMEOUT = 5.0  # seconds a client may take to answer for its folders' settings


def configure(ctx: Context, raw: Any, *, initial: bool = False) -> bool:
    """Take the client's settings; ``True`` when something that changes findings changed."""
    changed, errors = ctx.session.take_settings(raw, initial=initial)
    for error in errors:
        ctx.client.show(f"venvsense: {error} (ignored)", types.MessageType.Warning)
    return changed


async def pull_folder_settings(ctx: Context) -> bool:
    """Ask the client for each workspace folder's own settings (when it can answer); ``True`` when one that
    changes findings changed. A folder whose answer is empty has no settings of its own."""
    session, client = ctx.session, ctx.client
    if not client.supports("workspace.configuration") or not session.folders:
        return session.take_folder_settings({})
    folders = list(session.folders)
    try:
        answers = await asyncio.wait_for(client.server.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(scope_uri=folder.as_uri(), section=SECTION) for folder in folders],
        )), FOLDER_SETTINGS_TIMEOUT)
    except Exception as error:  # a client that cannot answer: the workspace's settings apply everywhere
        client.log(f"venvsense: no per-folder settings from the client ({str(error) or type(error).__name__})")
        answers = []
    found: dict[Path, FolderSettings] = {}
    for folder, answer in zip(folders, answers or [], strict=False):
        table = section_of(answer)
        if not table:
            continue
        settings, problems = read_settings({**session.raw_settings, **table})
        for problem in problems:
            client.show(f"venvsense: {problem} in {folder.name} (ignored)", types.MessageType.Warning)
        settings = replace(settings, trusted=session.settings.trusted,
                           pull_diagnostics=session.settings.pull_diagnostics)
        found[folder] = FolderSettings(settings, settings.engine_settings())
    return session.take_folder_settings(found)


def choose_diagnostic_mode(ctx: Context) -> None:
    session = ctx.session
    forced = session.settings.pull_diagnostics
    supported = ctx.client.capability("text_document.diagnostic") is not None
    session.pull = supported if forced is None else (forced and supported)
    ctx.client.log(f"venvsense {__version__}: {'pull' if session.pull else 'push'} diagnostics",
                   types.MessageType.Info)


def initialize(ctx: Context, params: types.InitializeParams) -> None:
    speed_up(ctx.client.server.workspace)  # pygls made it just now, before any document is opened
    configure(ctx, params.initialization_options, initial=True)
    ctx.session.set_folders(params.workspace_folders or [], params.root_uri)
    choose_diagnostic_mode(ctx)


async def initialized(ctx: Context, params: types.InitializedParams) -> None:
    ctx.poller.start()
    await pull_folder_settings(ctx)  # before discovery: a folder's own requirement globs find its projects
    ctx.scheduler.spawn(register_watchers(ctx))
    await ctx.discovery.discover()


def shutdown(ctx: Context, params: None) -> None:
    ctx.poller.stop()
    ctx.scheduler.stop()


async def did_change_configuration(ctx: Context, params: types.DidChangeConfigurationParams) -> None:
    raw = params.settings
    if not raw and ctx.client.supports("workspace.configuration"):
        answer = await ctx.client.server.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
        raw = answer[0] if answer else None
    globs = ctx.session.requirement_globs()
    display = refresh.display_settings(ctx)
    changed = configure(ctx, raw) if raw is not None else False
    changed = await pull_folder_settings(ctx) or changed
    refresh.settings_changed(ctx, display)
    if changed:
        if ctx.session.requirement_globs() != globs:
            ctx.scheduler.spawn(register_watchers(ctx, again=True))
            await ctx.discovery.discover()
        ctx.scheduler.request_all()


async def did_change_workspace_folders(ctx: Context, params: types.DidChangeWorkspaceFoldersParams) -> None:
    ctx.session.set_folders(ctx.session.workspace.folders.values())
    await pull_folder_settings(ctx)
    await ctx.discovery.discover()
