"""Hostile workspaces over raw JSON-RPC (issue 12, item 1): diagnostics are never published for a document outside
the workspace folders, and nothing a file outside them says reaches the editor; an untrusted session does not
read such a file at all."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from lsp_session import RawMessages, frame, make_venv, raw_exchange

pytestmark = pytest.mark.asyncio(loop_scope="function")

SECRET = "pypi-AgEIcHlwaS5vcmcCJGQ0ZjA1"
SECRET_NAME = "ghp0123456789abcdefSECRETNAME"


def hostile(tmp_path: Path) -> Path:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / ".pypirc").write_text(f"[pypi]\npassword = {SECRET}\n", encoding="utf-8")
    (secret / "tokens.txt").write_text(f"{SECRET_NAME}\n{SECRET}\n", encoding="utf-8")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "requirements.txt").write_text(f"-r ../secret/.pypirc\n-r {secret / 'tokens.txt'}\n",
                                           encoding="utf-8")
    os.symlink(secret / "tokens.txt", root / "requirements-x.txt")
    make_venv(root / ".venv")
    return root


def session(root: Path, *, trusted: bool) -> bytes:
    manifest = root / "requirements.txt"
    params = {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
              "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
              "initializationOptions": {"venvsense": {"trusted": trusted}}}
    return (frame({"id": 1, "method": "initialize", "params": params})
            + frame({"method": "initialized", "params": {}})
            + frame({"method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": manifest.as_uri(), "languageId": "pip-requirements", "version": 1,
                "text": manifest.read_text(encoding="utf-8")}}}))


def published(received: RawMessages) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for message in received:
        if message.get("method") == "textDocument/publishDiagnostics":
            out[message["params"]["uri"]] = message["params"]["diagnostics"]
    return out


def both_published(root: Path) -> Any:
    wanted = {(root / "requirements.txt").as_uri(), (root / "requirements-x.txt").as_uri()}
    return lambda received: wanted <= {uri for uri, items in published(received).items() if items}


@pytest.mark.parametrize("trusted", [True, False])
async def test_no_diagnostics_for_documents_outside_the_workspace_and_no_outside_content(
        tmp_path: Path, trusted: bool) -> None:
    root = hostile(tmp_path)
    received = await raw_exchange(session(root, trusted=trusted), both_published(root))
    everything = json.dumps(received)
    assert SECRET not in everything and SECRET_NAME not in everything
    for uri in published(received):
        assert uri.startswith(root.as_uri() + "/"), uri  # never file:///…/secret/… nor file:///etc/…
    include = published(received)[(root / "requirements.txt").as_uri()]
    messages = {d["range"]["start"]["line"]: d["message"] for d in include if d["code"] == "VS207"}
    if trusted:
        assert "finding" in messages[0] and "not shown" in messages[0], messages
        assert "finding" in messages[1] and "not shown" in messages[1], messages
    else:
        assert "not read, it is outside the workspace" in messages[0]
        assert "not read, it is outside the workspace" in messages[1]
    link = published(received)[(root / "requirements-x.txt").as_uri()]
    assert [d["code"] for d in link] == ["VS206"] and "outside the workspace" in link[0]["message"]
