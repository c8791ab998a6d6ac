"""Hostile sizes over raw JSON-RPC (issue 12, item 9): a 700,000-line requirements file is published as at most
1,000 diagnostics plus one counting the rest, and status is answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import RawMessages, frame, make_venv, raw_exchange

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_a_huge_requirements_file_publishes_at_most_a_thousand_and_one_diagnostics(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    with open(root / "requirements.txt", "w", encoding="ascii") as handle:  # 21 MB, none installed
        handle.writelines(f"package-number-{i:07d}==1.0.{i % 10}\n" for i in range(700_000))
    make_venv(root / ".venv")
    uri = (root / "requirements.txt").as_uri()
    params = {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
              "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}]}
    data = frame({"id": 1, "method": "initialize", "params": params}) + frame({"method": "initialized",
                                                                               "params": {}})

    def diagnostics(received: RawMessages) -> list[dict[str, object]] | None:
        return next((m["params"]["diagnostics"] for m in received if m.get("method") ==
                     "textDocument/publishDiagnostics" and m["params"]["uri"] == uri), None)

    received = await raw_exchange(data, lambda got: diagnostics(got) is not None, timeout=60)
    published = diagnostics(received)
    assert published is not None and len(published) == 1001
    assert "more findings in this file are not shown" in str(published[-1]["message"])
    # and the server still answers
    received = await raw_exchange(data + frame({"id": 2, "method": "venvsense/getStatus"}),
                                  lambda got: any(m.get("id") == 2 for m in got), timeout=30)
    assert "result" in next(m for m in received if m.get("id") == 2)
