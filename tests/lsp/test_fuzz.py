"""Fuzzing a running server over stdio (issue 12): hypothesis throws random bytes (framed bodies and garbage between
messages), random JSON and random LSP messages at one ``venvsense serve``; after every example each request that
was sent with an id of ours has been answered (a result or an error), and so is a final ``getStatus``.

The session is untrusted (nothing may start a process) and no message changes the workspace folders or the
trust: those would make the fuzzer test walks and installs, which have tests of their own. The run is bounded
(``max_examples``; about 30 s on a loaded machine)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsp_session import frame, server_environment

from venvsense.protocol import GET_STATUS_REQUEST, PROCESS_COMMANDS, SERVER_COMMANDS

ANSWER_TIMEOUT = 30.0


class Server:
    """``venvsense serve`` over pipes: a thread reads every message it sends, answers its requests with
    ``null`` and keeps the answers to ours by id."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "venvsense", "serve"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=server_environment(None))
        self.answers: dict[Any, dict[str, Any]] = {}
        self.changed = threading.Condition()
        self.write_lock = threading.Lock()
        self.closed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        with self.write_lock:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = stdout.read(length) if length else b""
            if not body:
                with self.changed:
                    self.closed = True
                    self.changed.notify_all()
                return
            message = json.loads(body)
            if "method" in message and "id" in message:  # a request of the server's: answer it
                self.send(frame({"id": message["id"], "result": None}))
            elif "id" in message:
                with self.changed:
                    self.answers[json.dumps(message["id"])] = message
                    self.changed.notify_all()

    def wait_for(self, ids: set[str]) -> set[str]:
        """The ids of ``ids`` still unanswered after waiting for them (empty: all answered)."""
        keys = {json.dumps(i) for i in ids}
        with self.changed:
            self.changed.wait_for(lambda: self.closed or keys <= self.answers.keys(), ANSWER_TIMEOUT)
            return {k for k in keys if k not in self.answers}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    root = tmp_path_factory.mktemp("fuzz") / "ws"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.0\nbeta>=2\n", encoding="utf-8")
    (root / "main.py").write_text("import alpha\n", encoding="utf-8")
    running = Server(root)
    params = {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
              "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
              "initializationOptions": {"venvsense": {"trusted": False}}}
    running.send(frame({"id": "init", "method": "initialize", "params": params})
                 + frame({"method": "initialized", "params": {}}))
    assert not running.wait_for({"init"})
    try:
        yield running, root
    finally:
        running.stop()


_ids = itertools.count()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20)
positions = st.fixed_dictionaries({"line": st.integers(-3, 50) | json_values,
                                   "character": st.integers(-3, 200) | json_values})
REQUESTS = ["textDocument/hover", "textDocument/codeAction", "textDocument/diagnostic", "workspace/diagnostic",
            "workspace/executeCommand", GET_STATUS_REQUEST, "textDocument/completion", "textDocument/definition",
            "no/suchMethod", "$/cancelRequest"]
NOTIFICATIONS = ["textDocument/didOpen", "textDocument/didChange", "textDocument/didClose", "textDocument/didSave",
                 "workspace/didChangeWatchedFiles", "$/setTrace", "no/suchNotification"]


def document_uris(root: Path) -> st.SearchStrategy[Any]:
    return st.sampled_from([(root / "requirements.txt").as_uri(), (root / "main.py").as_uri(),
                            (root / "pyproject.toml").as_uri(), (root / "nested" / "requirements.txt").as_uri(),
                            "file:///", "untitled:Untitled-1", "file:///%00"]) | json_values


def lsp_params(root: Path, method: str) -> st.SearchStrategy[Any]:
    document = st.fixed_dictionaries({"uri": document_uris(root)},
                                     optional={"version": st.integers(-1, 10**6) | json_values,
                                               "languageId": st.sampled_from(["pip-requirements", "python"]),
                                               "text": st.text(max_size=300)})
    text_range = st.fixed_dictionaries({"start": positions, "end": positions})
    shaped: st.SearchStrategy[Any]
    if method == "workspace/executeCommand":
        # every command of ours (the process ones are refused: the session is untrusted) and unknown ones
        commands = st.sampled_from([*SERVER_COMMANDS, *sorted(PROCESS_COMMANDS), "no.such.command"])
        shaped = st.fixed_dictionaries({"command": commands | json_values},
                                       optional={"arguments": st.lists(json_values | st.just(root.as_uri()),
                                                                       max_size=3) | json_values})
    elif method == "textDocument/didChange":
        change = st.fixed_dictionaries({"text": st.text(max_size=200)}, optional={"range": text_range})
        shaped = st.fixed_dictionaries({"textDocument": document, "contentChanges": st.lists(change, max_size=4)})
    else:
        shaped = st.fixed_dictionaries({"textDocument": document}, optional={
            "position": positions, "range": text_range,
            "context": st.fixed_dictionaries({"diagnostics": st.lists(json_values, max_size=2) | json_values}),
            "previousResultIds": st.lists(json_values, max_size=2) | json_values, "text": st.text(max_size=100)})
    return shaped | json_values


@st.composite
def lsp_message(draw: st.DrawFn, root: Path) -> tuple[bytes, str | None]:
    """One framed LSP message; the id it must be answered with (``None``: a notification)."""
    if draw(st.booleans()):
        method = draw(st.sampled_from(REQUESTS))
        ident = f"fuzz-{next(_ids)}"
        return frame({"id": ident, "method": method, "params": draw(lsp_params(root, method))}), ident
    method = draw(st.sampled_from(NOTIFICATIONS))
    return frame({"method": method, "params": draw(lsp_params(root, method))}), None


garbage = st.binary(min_size=1, max_size=200).filter(lambda b: b"content-length" not in b.lower())


@st.composite
def chunk(draw: st.DrawFn, root: Path) -> tuple[bytes, str | None]:
    kind = draw(st.sampled_from(["bytes", "garbage", "json", "lsp", "lsp"]))
    if kind == "bytes":  # a framed body of random bytes
        return frame(draw(st.binary(max_size=300))), None
    if kind == "garbage":  # bytes between messages, then the transport must find the next header
        return draw(garbage), None
    if kind == "json":  # a framed random JSON value (a request of ours only if it happens to be one)
        return frame(json.dumps(draw(json_values)).encode()), None
    return draw(lsp_message(root))


@settings(max_examples=120, deadline=None, database=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_the_server_answers_every_request_whatever_it_is_sent(server: tuple[Server, Path], data: st.DataObject) -> None:
    running, root = server
    chunks = data.draw(st.lists(chunk(root), min_size=1, max_size=8))
    status = f"status-{next(_ids)}"
    payload = b"".join(part for part, _ in chunks)
    # a well-formed request after the fuzz: reached even when the last chunk was garbage
    payload += frame({"id": status, "method": GET_STATUS_REQUEST})
    running.send(payload)
    wanted = {ident for _, ident in chunks if ident is not None} | {status}
    missing = running.wait_for(wanted)
    assert running.process.poll() is None, "the server exited"
    assert not missing, f"unanswered: {missing}"
    answer = running.answers[json.dumps(status)]
    assert "result" in answer and isinstance(answer["result"]["projects"], list), answer


def test_the_server_still_answers_status_after_the_fuzz(server: tuple[Server, Path]) -> None:
    running, _ = server
    running.send(frame({"id": "final", "method": GET_STATUS_REQUEST}))
    assert not running.wait_for({"final"})
    assert "result" in running.answers[json.dumps("final")]
