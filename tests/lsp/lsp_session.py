"""pytest-lsp sessions against ``venvsense serve`` over stdio, on real projects, venvs and wheels.

``lsp_session(folder, settings=..., pull=..., ...)`` starts the server as a subprocess
(``python -m venvsense serve``) and hands back a ``Session``: the pytest-lsp client plus the handlers its
default client lacks (``client/registerCapability``, ``workspace/applyEdit``, ``venvsense/status``) and
helpers that read like an editor (open, type, wait for diagnostics, ask for code actions, run them).
Installs go to a local wheelhouse only (``--no-index``/``--find-links`` through the installers' environment
variables); nothing touches the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from support.wheels import make_venv, pip_install

SERVER = [sys.executable, "-m", "venvsense", "serve"]
TIMEOUT = 20.0


def plain(value: Any) -> Any:
    """Namedtuples (how pygls hands over custom payloads) back to dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def capabilities(*, pull: bool = False, watch: bool = True, progress: bool = True) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            configuration=True,
            workspace_folders=True,
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=watch),
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True) if pull else None,
            inlay_hint=types.InlayHintWorkspaceClientCapabilities(refresh_support=True),
            code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[types.CodeActionKind.QuickFix, types.CodeActionKind.Source]))),
            diagnostic=types.DiagnosticClientCapabilities(dynamic_registration=False) if pull else None,
        ),
        window=types.WindowClientCapabilities(work_done_progress=progress),
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()),
    )


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply edits (ASCII text: UTF-16 columns are code points) from the last to the first."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
        lines = text.splitlines(keepends=True)
    return text


@dataclass
class Session:
    """A connected test client and what it received."""

    client: LanguageClient
    published: list[types.PublishDiagnosticsParams] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[types.Registration] = field(default_factory=list)
    unregistrations: list[types.Unregistration] = field(default_factory=list)
    applied: list[types.WorkspaceEdit] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    refreshes: list[str] = field(default_factory=list)  # workspace/inlayHint/refresh, workspace/codeLens/refresh

    # --- documents ---

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_text("utf-8") if text is None else text
        language = "python" if path.suffix == ".py" else ("toml" if path.suffix == ".toml" else "plaintext")
        self.texts[uri] = text
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
        return uri

    def change(self, path: Path, text: str) -> int:
        """Replace the buffer's whole text (unsaved); returns the new version."""
        uri = path.as_uri()
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    def close(self, path: Path) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri())))

    # --- waiting ---

    async def wait_for(self, condition: Callable[[], Any], timeout: float = TIMEOUT, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}")
            await asyncio.sleep(0.02)

    def diagnostics(self, path: Path) -> list[types.Diagnostic]:
        return list(self.client.diagnostics.get(path.as_uri(), []))

    def codes(self, path: Path) -> list[str]:
        return sorted(str(d.code) for d in self.diagnostics(path))

    async def wait_codes(self, path: Path, predicate: Callable[[list[str]], bool],
                         timeout: float = TIMEOUT) -> list[types.Diagnostic]:
        """Wait until the diagnostics published for ``path`` satisfy ``predicate`` (on their codes)."""
        uri = path.as_uri()
        await self.wait_for(lambda: uri in self.client.diagnostics and predicate(self.codes(path)),
                            timeout, f"diagnostics of {path.name} (now {self.codes(path)})")
        return self.diagnostics(path)

    # --- requests ---

    async def code_actions(self, path: Path, line: int, *, only: list[str] | None = None) -> list[types.CodeAction]:
        uri = path.as_uri()
        diagnostics = [d for d in self.diagnostics(path) if d.range.start.line <= line <= d.range.end.line]
        result = await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(line, 0), types.Position(line, 0)),
            context=types.CodeActionContext(diagnostics=diagnostics, only=only)))
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    async def execute(self, command: types.Command) -> Any:
        return plain(await self.client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=command.command, arguments=command.arguments)))

    async def status(self) -> dict[str, Any]:
        result = await self.client.protocol.send_request_async("venvsense/getStatus", None)
        return plain(result)  # type: ignore[no-any-return]

    async def hover(self, path: Path, line: int, character: int) -> types.Hover | None:
        return await self.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            position=types.Position(line, character)))

    async def inlay_hints(self, path: Path, first: int = 0, last: int = 10_000) -> list[types.InlayHint]:
        return list(await self.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=types.Range(types.Position(first, 0), types.Position(last, 0)))) or [])

    def apply(self, edit: types.WorkspaceEdit) -> None:
        """Apply a WorkspaceEdit to the open buffers, as an editor does (then tells the server)."""
        for uri, edits in (edit.changes or {}).items():
            path = Path(uri.removeprefix("file://"))
            if uri not in self.texts:
                self.open(path)
            self.change(path, apply_text_edits(self.texts[uri], list(edits)))

    def progress_kinds(self) -> dict[Any, list[str | None]]:
        return {token: [getattr(value, "kind", None) for value in values]
                for token, values in self.client.progress_reports.items()}


def _code_action_or_command(value: Any, _: type) -> types.Command | types.CodeAction:
    """lsprotocol 2025.0.0 reads any object with a ``command`` key as a Command, which loses a CodeAction's
    ``kind``/``edit`` (its ``command`` is an object, a Command's a string); real clients read JSON directly."""
    if isinstance(value.get("command"), str):
        return converter_structure(value, types.Command)
    return converter_structure(value, types.CodeAction)


converter_structure: Callable[[Any, type], Any]


def _client(session_box: list[Session]) -> LanguageClient:
    global converter_structure
    client = LanguageClient(converter_factory=default_converter)
    converter = client.protocol._converter
    converter_structure = converter.structure
    converter.register_structure_hook(
        Union[types.Command, types.CodeAction], _code_action_or_command  # noqa: UP007 - the key lsprotocol uses
    )
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(ls: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        ls.diagnostics[params.uri] = params.diagnostics
        session_box[0].published.append(params)

    def register(ls: LanguageClient, params: types.RegistrationParams) -> None:
        session_box[0].registrations.extend(params.registrations)

    def unregister(ls: LanguageClient, params: types.UnregistrationParams) -> None:
        session_box[0].unregistrations.extend(params.unregisterations)

    def apply_edit(ls: LanguageClient, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        session_box[0].applied.append(params.edit)
        session_box[0].apply(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    def status(ls: LanguageClient, params: Any) -> None:
        session_box[0].statuses.append(plain(params))

    def refreshed(method: str) -> Callable[[LanguageClient, None], None]:
        def handler(ls: LanguageClient, params: None) -> None:
            session_box[0].refreshes.append(method)
        return handler

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.WORKSPACE_INLAY_HINT_REFRESH] = refreshed(types.WORKSPACE_INLAY_HINT_REFRESH)
    features[types.WORKSPACE_CODE_LENS_REFRESH] = refreshed(types.WORKSPACE_CODE_LENS_REFRESH)
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    features[types.CLIENT_UNREGISTER_CAPABILITY] = unregister
    features[types.WORKSPACE_APPLY_EDIT] = apply_edit
    features["venvsense/status"] = status
    register_lsp_features(client, features)
    return client


def server_environment(wheelhouse: Path | None, cache: Path | None = None) -> dict[str, str]:
    """The server's environment: no network for installers, and no on-disk scan cache unless ``cache`` names
    its folder (a test's server never reads what another test's left in the user's cache)."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env["VENVSENSE_CACHE_DIR"] = str(cache) if cache is not None else ""
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "UV_OFFLINE": "1",
                "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never", "PIP_NO_INDEX": "1",
                "UV_NO_INDEX": "1", "PYTHONUNBUFFERED": "1"})
    if wheelhouse is not None:
        env["PIP_FIND_LINKS"] = str(wheelhouse)
        env["UV_FIND_LINKS"] = str(wheelhouse)
    return env


@contextlib.asynccontextmanager
async def lsp_session(folder: Path, *, settings: dict[str, Any] | None = None, pull: bool = False,
                      watch: bool = True, progress: bool = True, wheelhouse: Path | None = None,
                      folders: list[Path] | None = None,
                      folder_settings: dict[Path, dict[str, Any]] | None = None,
                      cache: Path | None = None,
                      environment: dict[str, str] | None = None,
                      client_capabilities: types.ClientCapabilities | None = None) -> AsyncIterator[Session]:
    """A server over stdio for ``folder`` (or ``folders``); ``settings`` go in ``initializationOptions``,
    ``folder_settings`` are what the client answers to ``workspace/configuration`` for a folder's scope;
    ``cache``: the folder of the on-disk scan cache (none without it); ``environment`` is laid over the
    server's environment, ``client_capabilities`` replace the default ones."""
    box: list[Session] = []
    client = _client(box)
    session = Session(client)
    box.append(session)
    for scope, value in (folder_settings or {}).items():
        client.set_configuration(value, section="venvsense", scope_uri=scope.as_uri())
    await client.start_io(*SERVER, env={**server_environment(wheelhouse, cache), **(environment or {})})
    try:
        workspace = folders if folders is not None else [folder]
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities or capabilities(pull=pull, watch=watch, progress=progress),
            root_uri=folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in workspace],
            initialization_options={"venvsense": settings or {}},
        ))
        yield session
        await asyncio.wait_for(client.shutdown_session(), 10)
    finally:
        process = client._server
        if process is not None and process.returncode is None:
            process.kill()  # a failed test: do not wait for a polite exit
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), 10)


# --- real projects --------------------------------------------------------------------------------------


@dataclass
class ProjectMaker:
    base: Path
    wheels: Path

    def __call__(self, name: str = "proj", *, requirements: str | None = "alpha==1.0\n",
                 venv: bool = True, installed: tuple[str, ...] = (), files: dict[str, str] | None = None) -> Path:
        root = self.base / name
        root.mkdir(parents=True)
        if requirements is not None:
            (root / "requirements.txt").write_text(requirements, encoding="utf-8")
        for relative, text in (files or {}).items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        if venv:
            make_venv(root / ".venv")
            if installed:
                pip_install(root / ".venv", *installed, find_links=self.wheels)
        return root


# --- raw JSON-RPC over stdio (no client library filling in fields, nothing answered back) -------------------

RawMessages = list[dict[str, Any]]


def frame(message: dict[str, Any] | bytes, *, length: int | None = None, header: bytes | None = None) -> bytes:
    """One message as the wire carries it; ``length`` overrides the Content-Length, ``header`` the header."""
    body = message if isinstance(message, bytes) else json.dumps(
        {"jsonrpc": "2.0", **message}, ensure_ascii=False).encode()
    if header is None:
        header = b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length)
    return header + body


async def raw_exchange(data: bytes, until: Callable[[RawMessages], bool], timeout: float = 30) -> RawMessages:
    """Write ``data`` to a fresh ``venvsense serve`` exactly as given and collect what it sends until
    ``until(received)``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "venvsense", "serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(data)
    received: RawMessages = []

    async def read() -> None:
        assert process.stdout is not None
        while not until(received):
            length = 0
            while (line := await process.stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not length:
                raise AssertionError(f"the server closed its output; received {received}")
            received.append(json.loads(await process.stdout.readexactly(length)))

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        process.kill()
        await process.wait()
    return received
