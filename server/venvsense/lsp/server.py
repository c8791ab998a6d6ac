"""The venvsense language server: a pygls ``LanguageServer`` that wires the session, the scheduler, the
publisher, discovery and the poller together and registers the features (``handlers.py``); ``start()`` runs it.

All the checking is ``venvsense.check.check_project``, run by the scheduler in a thread pool off the event
loop with the open editor buffers as overrides (``scheduler.py``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import BinaryIO

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from venvsense import __version__
from venvsense.lsp import handlers
from venvsense.lsp.client import Client
from venvsense.lsp.context import Context
from venvsense.lsp.discovery import Discovery
from venvsense.lsp.features import completion, notebooks, refresh
from venvsense.lsp.features.watching import poll_targets, polled_changes
from venvsense.lsp.jsonrpc import VenvsenseProtocol
from venvsense.lsp.memory import freeze_heap
from venvsense.lsp.poller import Poller
from venvsense.lsp.publish import Publisher
from venvsense.lsp.scheduler import Scheduler
from venvsense.lsp.session import Session
from venvsense.lsp.stdio import MessageLoop, stdin_chunks

logger = logging.getLogger("venvsense.lsp")


class VenvsenseServer(LanguageServer):
    """The venvsense language server; its parts are in ``context``, its features in ``handlers.FEATURES``."""

    def __init__(self) -> None:
        super().__init__("venvsense", __version__, protocol_cls=VenvsenseProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=notebooks.OPTIONS)
        client = Client(self)
        session = Session(lambda: self.workspace)
        publisher = Publisher(session, client)
        scheduler = Scheduler(session, publisher, client)
        discovery = Discovery(session, scheduler, publisher, client)
        poller = Poller(lambda: poll_targets(session), lambda paths: polled_changes(self.context, paths),
                        scheduler.spawn)
        scheduler.record_baseline = poller.record
        self.context = Context(client=client, session=session, publisher=publisher, scheduler=scheduler,
                               discovery=discovery, poller=poller)
        context = self.context
        scheduler.refresh_index = lambda state: completion.after_check(context, state)
        scheduler.after_check = lambda state, before, after: refresh.after_check(context, state, before, after)
        handlers.register(self, self.context)

    def _stop(self) -> None:
        self.shutdown()  # type: ignore[no-untyped-call]  # pygls' own

    def _start_io_async(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' stdio server with our transport loop (``stdio.py``: chunked reads, robust framing, an answer
        to every request)."""
        self._stop_event = stop = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        fd = (stdin or sys.stdin.buffer).fileno()

        async def serve() -> None:
            await MessageLoop(self.protocol, stdin_chunks(fd), stop).run()

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            logger.error("venvsense: the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self._stop()

    def start_tcp(self, host: str, port: int) -> None:
        """pygls' TCP server (one client) with our transport loop."""
        self._stop_event = stop = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)

            async def read() -> bytes:
                return await reader.read(1 << 16)

            await MessageLoop(self.protocol, read, stop).run()
            self._stop()

        async def serve() -> None:
            server = await asyncio.start_server(connection, host, port)
            self._server = server
            async with server:
                await server.serve_forever()

        try:
            asyncio.run(serve())
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self._stop()


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
