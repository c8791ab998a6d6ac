"""Our own transport loop: read the client's bytes in large chunks, frame them robustly, answer every request.

pygls 2.1 reads stdio in ``pygls.io_.run_async`` with ``StdinAsyncReader``, and that loop has three faults we
hit with a real client:

* **slow**: one thread-pool round trip per header line and one per body (four per message), ~130 small
  messages a second; a paste storm of 2,000 ``didChange`` took 15 s to arrive.
* **deaf after one framing error**: it matches ``Content-Length: N\\r\\n`` exactly (case, spacing, order), and
  after a body whose length was counted wrong (characters instead of bytes) the rest of the stream is
  misaligned for good: every later header is read as body or skipped, nothing is ever answered.
* **silent**: it decodes with ``json.loads(object_hook=structure_message)``, so params that cattrs cannot
  structure (``position.line: -1``, ``params: "x"``) raise inside the decoder and the loop only logs: the
  request gets no answer and the client waits forever; unparsable JSON and invalid requests are not answered.

The fix pygls itself should take (what this module does): read the transport in chunks (a reader thread doing
``os.read``, or ``loop.connect_read_pipe``) into a buffer; parse header blocks case-insensitively in any order;
decode the body with plain ``json.loads`` and only then structure the envelope, so that a failure is known to
be ``-32700`` (parse error, id null), ``-32600`` (invalid request) or ``-32602`` (invalid params, with the
request's id); and when a body is not JSON, answer ``-32700`` and resynchronise by scanning forward from the
start of that body for the next ``Content-Length`` header instead of trusting the count.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from pygls.protocol import JsonRPCProtocol

logger = logging.getLogger("venvsense.lsp")

CHUNK = 1 << 16
MAX_HEADER = 8192  # bytes a header block may take before we call it garbage
MAX_BODY = 1 << 30
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32602, -32603

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"([!-9;-~]+)[ \t]*:[ \t]*(.*?)[ \t]*", re.DOTALL)


class Framer:
    """Splits a byte stream into message bodies. ``feed`` bytes, then iterate ``bodies()``; a body that turns
    out not to be JSON is reported with ``resync()``, which rewinds to just after that body's header and skips
    to the next ``Content-Length`` header."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.skipped = 0  # bytes thrown away as garbage so far

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def _skip_to_header(self, start: int) -> None:
        """Drop everything before the next ``Content-Length`` header at or after ``start``."""
        found = _CONTENT_LENGTH.search(self.buffer, start)
        cut = found.start() if found else max(start, len(self.buffer) - 32)
        self.skipped += cut
        del self.buffer[:cut]

    def _header(self) -> tuple[int, int] | None:
        """(length, header size) of the header block at the buffer's start; ``None``: need more bytes.
        Garbage (no valid header there) is skipped."""
        while self.buffer:
            end = _HEADER_END.search(self.buffer, 0, MAX_HEADER + 4)
            if end is None:
                if len(self.buffer) > MAX_HEADER:
                    self._skip_to_header(1)
                    continue
                return None
            length = _content_length(bytes(self.buffer[:end.start()]))
            if length is None:  # not a header block (say, the tail of a body counted short): skip it
                self._skip_to_header(1)
                continue
            return length, end.end()
        return None

    def bodies(self) -> Iterator[bytes]:
        while (header := self._header()) is not None:
            length, size = header
            if len(self.buffer) < size + length:
                return
            body = bytes(self.buffer[size:size + length])
            del self.buffer[:size + length]
            yield body

    def resync(self, body: bytes) -> None:
        """``body`` (the last one handed out) was not JSON: its length was wrong. Put it back and continue at
        the next ``Content-Length`` header inside or after it."""
        self.buffer[:0] = body
        self._skip_to_header(0 if not body.lower().startswith(b"content-length") else 1)


def _content_length(block: bytes) -> int | None:
    length: int | None = None
    for line in re.split(rb"\r?\n", block):
        match = _HEADER_LINE.fullmatch(line)
        if match is None:
            return None
        if match.group(1).lower() == b"content-length":
            value = match.group(2)
            if not value.isdigit() or int(value) > MAX_BODY:
                return None
            length = int(value)
    return length


def _error(msg_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


class MessageLoop:
    """Reads chunks from ``read`` until it returns ``b""`` (or ``stop`` is set), and hands each message to
    ``protocol``; every request gets an answer, also when it cannot be read."""

    def __init__(self, protocol: JsonRPCProtocol, read: Callable[[], Awaitable[bytes]],
                 stop: threading.Event) -> None:
        self.protocol = protocol
        self.read = read
        self.stop = stop
        self.framer = Framer()
        self._resyncing = False

    async def run(self) -> None:
        while not self.stop.is_set():
            data = await self.read()
            if not data:
                logger.info("the client closed the connection")
                break
            self.framer.feed(data)
            self._drain()
            await asyncio.sleep(0)  # let answers and checks run between chunks

    def _drain(self) -> None:
        before = self.framer.skipped
        for body in self.framer.bodies():
            try:
                data = json.loads(body)
            except ValueError as error:  # also UnicodeDecodeError
                if not self._resyncing:
                    logger.warning("venvsense: a message body is not JSON (%s); resynchronising on the next "
                                   "Content-Length header", error)
                    self._send(_error(None, PARSE_ERROR, f"Parse error: {error}"))
                self._resyncing = True
                self.framer.resync(body)
                continue
            self._resyncing = False
            self.handle(data)
            if self.stop.is_set():
                return
        if self.framer.skipped != before:
            logger.warning("venvsense: skipped %d bytes that were not a message", self.framer.skipped - before)

    def _send(self, message: dict[str, Any]) -> None:
        self.protocol._send_data(message)

    def handle(self, data: Any) -> None:
        """One decoded message: check the envelope, structure it, dispatch it."""
        if not isinstance(data, dict):
            self._send(_error(None, INVALID_REQUEST, "Invalid Request: a message must be a JSON object"
                              + (" (batches are not supported)" if isinstance(data, list) else "")))
            return
        msg_id = data.get("id")
        id_ok = "id" not in data or msg_id is None or (isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool))
        answer_id = msg_id if id_ok else None
        method = data.get("method")
        is_call = "method" in data
        is_response = not is_call and "id" in data and ("result" in data or "error" in data)
        if data.get("jsonrpc") != "2.0" or not id_ok or (is_call and not isinstance(method, str)) or (
                not is_call and not is_response):
            if "id" in data or is_call:
                self._send(_error(answer_id, INVALID_REQUEST, "Invalid Request"))
            else:
                logger.warning("venvsense: ignoring a message that is not JSON-RPC 2.0")
            return
        is_request = is_call and "id" in data
        if is_call and not isinstance(data.get("params", None), (dict, list, type(None))):
            if is_request:
                self._send(_error(msg_id, INVALID_PARAMS, "Invalid params: must be an object or an array"))
            return
        try:
            message = self.protocol.structure_message(data)
        except Exception as error:
            logger.warning("venvsense: cannot read %s %r: %s", "request" if is_request else "message",
                           method, error)
            if is_request:
                self._send(_error(msg_id, INVALID_PARAMS, f"Invalid params for {method}"))
            return
        try:
            self.protocol.handle_message(message)
        except Exception as error:
            logger.exception("venvsense: handling %r failed", method)
            if is_request:
                self._send(_error(msg_id, INTERNAL_ERROR, f"Internal error: {error}"))


def stdin_chunks(fd: int) -> Callable[[], Awaitable[bytes]]:
    """A reader of ``fd`` in large chunks: a daemon thread does the blocking ``os.read`` calls and queues what
    it reads for the event loop (``b""`` at the end)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    def pump() -> None:
        while True:
            try:
                data = os.read(fd, CHUNK)
            except OSError as error:
                logger.error("venvsense: reading stdin failed: %s", error)
                data = b""
            try:
                loop.call_soon_threadsafe(queue.put_nowait, data)
            except RuntimeError:  # the loop is closed
                return
            if not data:
                return

    threading.Thread(target=pump, name="venvsense-stdin", daemon=True).start()
    return queue.get
