"""What the server tells the client besides answers (log lines, messages, raw JSON notifications) and what the
client said it supports: the one outgoing channel the session's parts share."""

from __future__ import annotations

import contextlib
import logging
import traceback
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer

from venvsense.lsp.jsonrpc import VenvsenseProtocol

logger = logging.getLogger("venvsense.lsp")


class Client:
    """The client as the server's parts see it, over the pygls server that talks to it."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server  # for requests to the client (configuration, registration, progress)

    def capability(self, path: str, default: Any = None) -> Any:
        """A value of the client's capabilities (``"workspace.configuration"``), ``default`` when it has none."""
        return get_capability(self.server.client_capabilities, path, default)

    def supports(self, path: str) -> bool:
        """Whether the client's capability at ``path`` is ``true``."""
        return self.capability(path, False) is True

    def log(self, message: str, level: types.MessageType = types.MessageType.Log) -> None:
        """A line in the client's output log (``window/logMessage``), and in our own log."""
        logger.log(logging.WARNING if level <= types.MessageType.Warning else logging.INFO, "%s", message)
        with contextlib.suppress(Exception):  # no client yet (or it went away): the stderr log is enough
            self.server.window_log_message(types.LogMessageParams(type=level, message=message))

    def show(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        """A message the person sees (``window/showMessage``)."""
        try:
            self.server.window_show_message(types.ShowMessageParams(type=level, message=message))
        except Exception:
            logger.warning("%s", message)

    def log_error(self, what: str, error: BaseException) -> None:
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.log(f"venvsense: {what} failed (a bug, please report it):\n{detail}", types.MessageType.Error)

    @property
    def raw_protocol(self) -> VenvsenseProtocol | None:
        """The protocol when it can send pre-built JSON (always, except under a test double)."""
        protocol = self.server.protocol
        return protocol if isinstance(protocol, VenvsenseProtocol) else None

    def notify_json(self, method: str, params: dict[str, Any]) -> None:
        protocol = self.raw_protocol
        if protocol is not None:
            protocol.notify_json(method, params)
        else:
            self.server.protocol.notify(method, params)

    def refresh_workspace_diagnostics(self) -> None:
        self.server.workspace_diagnostic_refresh(None)
