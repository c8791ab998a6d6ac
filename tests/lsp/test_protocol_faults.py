"""The transport under faults, as raw JSON-RPC over stdio: every request is answered (also when it cannot be
read), one framing error does not make the server deaf, and a paste storm of changes is read and applied."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsp_session import ProjectMaker, RawMessages, frame
from lsp_session import raw_exchange as exchange

pytestmark = pytest.mark.asyncio(loop_scope="function")

Received = RawMessages






def responses(received: Received) -> dict[Any, dict[str, Any]]:
    return {m["id"]: m for m in received if "id" in m and "method" not in m}


def answered(*ids: Any) -> Callable[[Received], bool]:
    return lambda received: set(ids) <= responses(received).keys()


def start(workspace: Path) -> bytes:
    params = {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {},
              "workspaceFolders": [{"uri": workspace.as_uri(), "name": "ws"}]}
    return frame({"id": 1, "method": "initialize", "params": params}) + frame(
        {"method": "initialized", "params": {}})


async def test_every_request_is_answered_even_when_it_cannot_be_read(make_project: ProjectMaker,
                                                                    workspace: Path) -> None:
    root = make_project(requirements="alpha\n", venv=False)
    doc = {"uri": (root / "requirements.txt").as_uri()}
    zero = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}
    invalid_params = [
        {"id": 7, "method": "textDocument/hover", "params": {"textDocument": doc,
                                                            "position": {"line": -1, "character": 0}}},
        {"id": 8, "method": "textDocument/hover", "params": {"textDocument": doc, "position": "0:0"}},
        {"id": 9, "method": "textDocument/codeAction", "params": {"textDocument": doc, "range": None,
                                                                 "context": {"diagnostics": []}}},
        {"id": 10, "method": "textDocument/codeAction", "params": {"textDocument": doc, "range": zero,
                                                                  "context": {"diagnostics": "nope"}}},
        {"id": 11, "method": "workspace/executeCommand", "params": {"command": "venvsense.recheck",
                                                                   "arguments": 5}},
        {"id": 12, "method": "workspace/diagnostic", "params": {"previousResultIds": 3}},
        {"id": 13, "method": "textDocument/hover", "params": "string"},
        {"id": 14, "method": "textDocument/hover", "params": [1, 2]},
    ]
    data = start(workspace) + b"".join(frame(m) for m in invalid_params)
    data += frame({"id": 20, "method": 5, "params": {}})  # an invalid request
    data += frame({"id": 21, "params": {}})  # neither a request nor a response
    data += frame(b'{"jsonrpc": "2.0", "id": 22, "method": ')  # not JSON (framed correctly)
    data += frame({"id": 23, "method": "venvsense/getStatus"})
    received = await exchange(data, answered(1, *range(7, 15), 20, 21, 23, None))
    got = responses(received)
    for request in invalid_params:
        assert got[request["id"]]["error"]["code"] == -32602, got[request["id"]]
    assert got[20]["error"]["code"] == -32600
    assert got[21]["error"]["code"] == -32600
    assert got[None]["error"]["code"] == -32700
    assert 22 not in got  # its id could not be read: the parse error is answered with id null
    assert "error" not in got[23] and isinstance(got[23]["result"]["projects"], list)


async def test_a_body_counted_in_characters_does_not_make_the_server_deaf(make_project: ProjectMaker,
                                                                          workspace: Path) -> None:
    root = make_project(requirements="requests\n", venv=False)
    manifest = root / "requirements.txt"
    text = "requests  # café\n"
    did_open = {"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": manifest.as_uri(), "languageId": "pip-requirements", "version": 1, "text": text}}}
    in_characters = len(json.dumps({"jsonrpc": "2.0", **did_open}, ensure_ascii=False))
    data = start(workspace) + frame(did_open, length=in_characters)  # one byte short: "é" is two bytes
    data += frame({"id": 2, "method": "venvsense/getStatus"})
    # headers in any order and any case, with a Content-Type
    status = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "venvsense/getStatus"}).encode()
    data += frame(status, header=b"content-type: application/vscode-jsonrpc; charset=utf-8\r\n"
                                 b"CONTENT-LENGTH: %d\r\n\r\n" % len(status))
    data += frame(b"garbage between messages\r\n\r\n", header=b"")
    data += b"".join(frame({"id": n, "method": "venvsense/getStatus"}) for n in range(4, 14))
    received = await exchange(data, answered(1, *range(2, 14), None))
    got = responses(received)
    assert all("result" in got[n] for n in range(2, 14)), got
    assert got[None]["error"]["code"] == -32700  # the short body: not JSON


def paste_storm(count: int, comment: int) -> tuple[list[dict[str, Any]], list[str]]:
    """At least ``count`` incremental changes: a comment of ``comment`` characters typed one at a time on the
    first line, then ``p0``, ``p1``, ... one line each, a character at a time, with a typo typed and deleted
    on every line; and the names the final text holds, from its second line on."""
    changes: list[dict[str, Any]] = []
    names: list[str] = []

    def at(line: int, start: int, end: int, text: str) -> None:
        changes.append({"range": {"start": {"line": line, "character": start},
                                  "end": {"line": line, "character": end}}, "text": text})

    for column in range(comment):
        at(0, column, column, "#")
    at(0, comment, comment, "\n")
    while len(changes) < count:
        line = len(names) + 1
        name = f"p{line - 1}"
        at(line, 0, 0, "z")
        at(line, 1, 1, "z")
        at(line, 0, 2, "")
        for column, char in enumerate(name):
            at(line, column, column, char)
        at(line, len(name), len(name), "\n")
        names.append(name)
    return changes, names


async def test_a_paste_storm_of_changes_is_read_and_applied_and_status_answered(
        make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="", installed=())
    manifest = root / "requirements.txt"
    uri = manifest.as_uri()
    changes, names = paste_storm(12000, comment=10000)
    data = start(workspace) + frame({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "pip-requirements", "version": 1, "text": ""}}})
    data += b"".join(frame({"method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
        for version, change in enumerate(changes, start=2))
    data += frame({"id": 2, "method": "venvsense/getStatus"})
    last = len(changes) + 1

    def final(received: Received) -> dict[str, Any] | None:
        return next((m["params"] for m in received if m.get("method") == "textDocument/publishDiagnostics"
                     and m["params"]["uri"] == uri and m["params"].get("version") == last), None)

    # pygls' own position codec walks the growing 10,000-character line a character at a time for every
    # change: these 12,000 changes do not arrive within the 30 s waited here; ours take a few seconds
    received = await exchange(data, lambda got: 2 in responses(got) and final(got) is not None, timeout=30)
    assert "result" in responses(received)[2]
    diagnostics = final(received)["diagnostics"]  # type: ignore[index]
    assert [d["code"] for d in diagnostics] == ["VS201"] * len(names)
    for diagnostic in diagnostics:
        line = diagnostic["range"]["start"]["line"]
        assert line >= 1 and re.search(rf"\b{names[line - 1]}\b", diagnostic["message"]), diagnostic
