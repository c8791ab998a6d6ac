"""Telling the client to ask again for what it shows between the lines (``workspace/inlayHint/refresh``,
``workspace/codeLens/refresh``): when a check finds another venv state (an install, another venv), when the
imports a code lens counts changed, and when the display settings change. Editors ask again by themselves after
an edit of the document; these cover what changed elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from venvsense.check import ProjectReport
from venvsense.lsp.context import Context
from venvsense.lsp.features.declared import forget
from venvsense.lsp.session import ProjectState
from venvsense.lsp.settings import ServerSettings

_pending: set[str] = set()


def _later(ctx: Context, what: str) -> None:
    """Send one refresh request of ``what`` (``inlay`` or ``lens``) soon: several reasons in one turn of the event
    loop (a workspace of projects checked together) make one request."""
    client = ctx.client
    capability = "workspace.inlay_hint.refresh_support" if what == "inlay" else "workspace.code_lens.refresh_support"
    if what in _pending or not client.supports(capability):
        return
    _pending.add(what)

    def send() -> None:
        _pending.discard(what)
        try:
            if what == "inlay":
                client.server.workspace_inlay_hint_refresh(None)
            else:
                client.server.workspace_code_lens_refresh(None)
        except Exception as error:  # a client gone away: nothing to refresh
            client.log(f"venvsense: could not ask the client to refresh ({error})")

    asyncio.get_running_loop().call_soon(send)


def after_check(ctx: Context, state: ProjectState, previous: ProjectReport | None, report: ProjectReport) -> None:
    """A check of ``state`` published ``report`` (``previous``: the report it replaced)."""
    forget(state.root)
    venv_changed = (previous is None or previous.installed is not report.installed
                    or previous.environment != report.environment)
    if venv_changed:
        _later(ctx, "inlay")
    if ctx.session.server_settings_for(state.root).code_lens and (venv_changed or previous is None
                                                                   or previous.usage is not report.usage):
        _later(ctx, "lens")


def display_settings(ctx: Context) -> Mapping[object, tuple[bool, bool]]:
    """The display settings in force: the workspace's and each folder's (inlay hints, code lens)."""
    session = ctx.session

    def pair(settings: ServerSettings) -> tuple[bool, bool]:
        return settings.inlay_hints, settings.code_lens

    return {None: pair(session.settings), **{folder: pair(f.server) for folder, f in session.folder_settings.items()}}


def settings_changed(ctx: Context, before: Mapping[object, tuple[bool, bool]]) -> None:
    """Refresh what a change of the display settings turned on or off."""
    after = display_settings(ctx)
    keys = set(before) | set(after)
    if any(before.get(k, (True, False))[0] != after.get(k, (True, False))[0] for k in keys):
        _later(ctx, "inlay")
    if any(before.get(k, (True, False))[1] != after.get(k, (True, False))[1] for k in keys):
        _later(ctx, "lens")
