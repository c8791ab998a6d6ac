"""A PEP 723 script in a real LSP session: its block's diagnostics, "Create an environment for this script" run
as a command (the real uv, offline, its cache in ``tmp_path``), and edits of the block re-checked as a manifest's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types

from support.wheels import uv_executable
from venvsense.environment.uvcache import script_environment_path

pytestmark = [pytest.mark.asyncio(loop_scope="function"),
              pytest.mark.skipif(uv_executable() is None, reason="uv is not installed")]

SCRIPT = '# /// script\n# dependencies = ["alpha==1.0"]\n# ///\nimport alpha\n'


def titled(actions: list[types.CodeAction], title: str) -> types.CodeAction:
    for action in actions:
        if action.title == title:
            return action
    raise AssertionError(f"no action {title!r} in {[a.title for a in actions]}")


async def test_a_script_gets_its_environment_and_its_block_is_rechecked_as_typed(
        make_project: ProjectMaker, workspace: Path, wheels: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "uv-cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(cache))
    root = make_project(requirements="beta\n", installed=("beta",),
                        files={"app.py": "import beta\n", "tools/run.py": SCRIPT})
    script = root / "tools" / "run.py"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        # no environment for the script: VS101 on its block; the project's venv does not judge its imports
        diagnostics = await session.wait_codes(script, lambda codes: codes == ["VS101"])
        assert diagnostics[0].range.start.line == 0
        action = titled(await session.code_actions(script, 0), "Create an environment for this script")
        assert action.is_preferred and action.command is not None
        result = await session.execute(action.command)
        assert result["status"] == "ok", result
        assert (script_environment_path(script, {"UV_CACHE_DIR": str(cache)}) / "pyvenv.cfg").is_file()
        await session.wait_codes(script, lambda codes: codes == [])
        # typing in the block: a version its environment does not hold, then a dependency it lacks
        session.open(script)
        session.change(script, SCRIPT.replace("alpha==1.0", "alpha==2.0"))
        diagnostics = await session.wait_codes(script, lambda codes: codes == ["VS202"])
        assert (diagnostics[0].range.start.line, diagnostics[0].range.start.character) == (1, 19)  # inside its quotes
        # its fixes are the script's own: its environment, its block (never the project's .venv or manifests)
        actions = await session.code_actions(script, 1)
        install = titled(actions, "Install the script's dependencies")
        assert install.command is not None and install.command.arguments[0]["script"] == str(script)
        pin = titled(actions, "Change pin to alpha==1.0")
        assert pin.edit is not None
        session.apply(pin.edit)
        assert session.texts[script.as_uri()] == SCRIPT
        await session.wait_codes(script, lambda codes: codes == [])
        session.change(script, SCRIPT.replace('"alpha==1.0"', '"alpha==1.0", "gamma"'))
        # (and gamma, declared by the block and imported by nothing, is the script's unused dependency)
        diagnostics = await session.wait_codes(script, lambda codes: sorted(codes) == ["VS201", "VS303"])
        assert [d.range.start.line for d in diagnostics] == [1, 1]
        # broken metadata: VS206 where TOML stops being TOML
        session.change(script, SCRIPT.replace('["alpha==1.0"]', '["alpha==1.0"'))
        diagnostics = await session.wait_codes(script, lambda codes: codes == ["VS206"])
        assert diagnostics[0].range.start.line in (1, 2)
        session.change(script, SCRIPT)
        await session.wait_codes(script, lambda codes: codes == [])
        assert session.codes(root / "app.py") == []


async def test_uv_run_in_a_terminal_is_seen_without_an_editor_event(
        make_project: ProjectMaker, workspace: Path, wheels: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The person runs ``uv sync --script`` (or ``uv run``) in a terminal: the poller stats where uv makes the
    script's environment, and the script is checked again against it."""
    cache = tmp_path / "uv-cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(cache))
    root = make_project(requirements=None, venv=False, files={"run.py": SCRIPT})
    script = root / "run.py"
    uv = uv_executable()
    assert uv is not None
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(script, lambda codes: codes == ["VS101"])
        environ = {**os.environ, "UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"}
        done = subprocess.run([str(uv), "sync", "--script", str(script), "--python", sys.executable,
                               "--find-links", str(wheels), "--no-index"], capture_output=True, text=True,
                              env=environ, check=False)
        assert done.returncode == 0, done.stderr
        await session.wait_codes(script, lambda codes: codes == [])
