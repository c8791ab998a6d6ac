"""The venvsense language server: a pygls ``LanguageServer`` that wires the session, the scheduler, the
publisher, discovery and the poller together and registers the features (``handlers.py``); ``start()`` runs it.

All the checking is ``venvsense.check.check_project``, run by the scheduler in a thread pool off the event
loop with the open editor buffers as overrides (``scheduler.py``).
"""

from __future__ import annotations

import logging
import os
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from venvsense import __version__
from venvsense.lsp import handlers
from venvsense.lsp.client import Client
from venvsense.lsp.context import Context
from venvsense.lsp.discovery import Discovery
from venvsense.lsp.features.watching import poll_targets, polled_changes
from venvsense.lsp.jsonrpc import VenvsenseProtocol
from venvsense.lsp.memory import freeze_heap
from venvsense.lsp.poller import Poller
from venvsense.lsp.publish import Publisher
from venvsense.lsp.scheduler import Scheduler
from venvsense.lsp.session import Session


class VenvsenseServer(LanguageServer):
    """The venvsense language server; its parts are in ``context``, its features in ``handlers.FEATURES``."""

    def __init__(self) -> None:
        super().__init__("venvsense", __version__, protocol_cls=VenvsenseProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        client = Client(self)
        session = Session(lambda: self.workspace)
        publisher = Publisher(session, client)
        scheduler = Scheduler(session, publisher, client)
        discovery = Discovery(session, scheduler, publisher, client)
        poller = Poller(lambda: poll_targets(session), lambda paths: polled_changes(self.context, paths),
                        scheduler.spawn)
        self.context = Context(client=client, session=session, publisher=publisher, scheduler=scheduler,
                               discovery=discovery, poller=poller)
        handlers.register(self, self.context)


def build_server() -> VenvsenseServer:
    return VenvsenseServer()


def start(tcp: tuple[str, int] | None = None) -> None:
    """Build the server with its handlers and run it until the client says exit."""
    level = os.environ.get("VENVSENSE_LOG", "WARNING").upper()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.WARNING),
                        format="venvsense %(levelname)s %(name)s: %(message)s")
    server = build_server()
    freeze_heap()
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
