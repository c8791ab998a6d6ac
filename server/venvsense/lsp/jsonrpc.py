"""The JSON-RPC protocol of the server: pygls' own, with a raw-JSON path for the hot ``publishDiagnostics`` and for
answers a handler serialized itself (``RawResult``: inlay hints and code lenses of a whole manifest)."""

from __future__ import annotations

import asyncio
import inspect
import json
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCNotification, LanguageServerProtocol


@dataclass(frozen=True)
class JsonResult:
    """A request's result that is plain JSON already (a completion list of hundreds of items): answered with
    ``json.dumps`` alone, not value by value through cattrs' ``unstructure``."""

    value: Any


class RawResult(str):
    """A request's result as JSON text already (ASCII, as ``json.dumps`` makes it): sent as it is, instead of
    objects pygls would pass through cattrs value by value (milliseconds for hundreds of inlay hints)."""


class VenvsenseProtocol(LanguageServerProtocol):
    """pygls' protocol, except that ``publishDiagnostics`` goes out as the plain JSON we build: converting
    hundreds of diagnostics to protocol objects and back costs milliseconds on every keystroke."""

    def get_message_type(self, method: str) -> Any:  # type: ignore[override]  # base is an lru_cache
        if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            return JsonRPCNotification
        return super().get_message_type(method)

    def structure_message(self, data: dict[str, Any]) -> Any:
        # JSON-RPC lets a request without parameters omit ``params``; pygls' generic message types require the
        # key, and a message it cannot read gets no answer at all (the client would wait forever)
        method = data.get("method")
        if "params" not in data and isinstance(method, str) and method.startswith("venvsense/"):
            data = {**data, "params": None}
        return super().structure_message(data)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if error is None and isinstance(result, JsonResult):
            self._result_types.pop(msg_id, None)
            self.send_text(json.dumps({"jsonrpc": "2.0", "id": msg_id, "result": result.value}))
            return
        if error is None and isinstance(result, RawResult) and self.writer is not None:
            self.send_text(f'{{"jsonrpc": "2.0", "id": {json.dumps(msg_id)}, "result": {result}}}')
            return
        super()._send_response(msg_id, result, error)

    def notify_json(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification whose ``params`` are plain JSON already: ``notify`` would pass them through
        cattrs' ``unstructure`` value by value (slow for hundreds of diagnostics), ``json.dumps`` needs no help."""
        self._send_data({"jsonrpc": "2.0", "method": method, "params": params})

    def send_text(self, body: str) -> None:
        """Send one message already serialized (ASCII JSON, as ``json.dumps`` makes it): ``_send_data``'s
        framing without its ``json.dumps``."""
        if self.writer is None:
            return
        if self._include_headers:
            body = (f"Content-Length: {len(body)}\r\n"
                    f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n{body}")
        result = self.writer.write(body.encode(self.CHARSET))
        if inspect.isawaitable(result):  # an asynchronous transport (pygls' own _send_data does the same)
            asyncio.ensure_future(result)  # noqa: RUF006
