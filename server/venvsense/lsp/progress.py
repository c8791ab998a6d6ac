"""Server-initiated work-done progress (``window/workDoneProgress``) for long actions, cancellable by the person."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lsprotocol import types

from venvsense.actions.run import ProgressEvent
from venvsense.lsp.client import Client


class Progress:
    """Server-initiated work-done progress, when the client supports it; cancel sets ``cancelled``."""

    def __init__(self, client: Client, title: str) -> None:
        self.client = client
        self.title = title
        self.token = f"venvsense-{uuid.uuid4()}"
        self.cancelled = threading.Event()
        self.enabled = client.supports("window.work_done_progress")
        self._last: tuple[str, int | None] | None = None
        self.started = False
        self.ended = False

    async def begin(self, message: str) -> None:
        self.started = True
        if not self.enabled:
            return
        progress = self.client.server.work_done_progress
        try:
            await progress.create_async(self.token)
        except Exception as error:  # the client refused: run without a progress bar
            self.client.log(f"venvsense: no progress bar ({error})", types.MessageType.Warning)
            self.enabled = False
            return
        progress.begin(self.token, types.WorkDoneProgressBegin(
            title=self.title, message=message, percentage=0, cancellable=True))
        future: Future[Any] | None = progress.tokens.get(self.token)
        if future is not None:
            future.add_done_callback(lambda f: self.cancelled.set() if f.cancelled() else None)

    def report(self, event: ProgressEvent) -> None:
        if not self.enabled:
            return
        percent = None if event.percent is None else max(0, min(100, int(event.percent)))
        if (event.message, percent) == self._last:
            return
        self._last = (event.message, percent)
        self.client.server.work_done_progress.report(self.token, types.WorkDoneProgressReport(
            message=event.message, percentage=percent, cancellable=True))

    def from_thread(self, loop: asyncio.AbstractEventLoop) -> Callable[[ProgressEvent], None]:
        def callback(event: ProgressEvent) -> None:
            loop.call_soon_threadsafe(self.report, event)

        return callback

    def end(self, message: str) -> None:
        if not self.enabled or self.ended:
            return
        self.ended = True
        progress = self.client.server.work_done_progress
        progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        progress.tokens.pop(self.token, None)
