"""The language server starts a project from the on-disk scan cache the last session (or the CLI) left: the same
diagnostics as without it, and a module changed in between is read again, never taken from the cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session

from venvsense.imports.diskcache import PERSISTENT_MIN_FILES

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_a_second_session_starts_from_the_cache_and_reads_what_changed(make_project: ProjectMaker,
                                                                             workspace: Path, tmp_path: Path) -> None:
    modules = {f"app/m{i}.py": "import os\nimport alpha\n" for i in range(PERSISTENT_MIN_FILES + 4)}
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",),
                        files={**modules, "app/__init__.py": "", "app/late.py": "import os\n"})
    cache = tmp_path / "cache"
    late = root / "app" / "late.py"
    async with lsp_session(workspace, cache=cache) as session:
        session.open(late)
        assert await session.wait_codes(late, lambda codes: codes == []) == []
    written = list(cache.glob("scans-*.marshal"))
    assert len(written) == 1  # the first check saved the project's scans

    late.write_text("import os\nimport beta\n", encoding="utf-8")  # changed between the sessions
    async with lsp_session(workspace, cache=cache) as session:
        session.open(late)
        diagnostics = await session.wait_codes(late, lambda codes: codes == ["VS301"])
        assert "beta" in diagnostics[0].message
        first = root / "app" / "m0.py"
        session.open(first)
        assert await session.wait_codes(first, lambda codes: codes == []) == []
    async with lsp_session(workspace) as session:  # the same project without any cache: the same answers
        session.open(late)
        assert "beta" in (await session.wait_codes(late, lambda codes: codes == ["VS301"]))[0].message


async def test_the_server_keeps_lock_models_beside_its_scan_cache(workspace: Path, tmp_path: Path) -> None:
    # a real uv.lock (made by uv, vendored), last changed an hour ago; the venv lacks what it locks (VS402)
    data = Path(__file__).parents[1] / "data" / "locks"
    root = workspace / "locked"
    root.mkdir(parents=True)
    shutil.copyfile(data / "built-by-uv.uv.lock", root / "uv.lock")
    shutil.copyfile(data / "built-by-uv.pyproject.toml", root / "pyproject.toml")
    (root / "app.py").write_text("import os\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    hour_ago = time.time_ns() - 3_600_000_000_000
    os.utime(root / "uv.lock", ns=(hour_ago, hour_ago))
    cache = tmp_path / "cache"
    async with lsp_session(workspace, cache=cache) as session:
        session.open(root / "app.py")
        # VS402 on the lock comes from the full check, which read the lock
        await session.wait_codes(root / "uv.lock", lambda codes: "VS402" in codes)
    assert len(list(cache.glob("lock-*.marshal"))) == 1
    async with lsp_session(workspace) as session:  # without a cache folder the server stores nothing
        session.open(root / "app.py")
        await session.wait_codes(root / "uv.lock", lambda codes: "VS402" in codes)
    assert len(list(cache.glob("lock-*.marshal"))) == 1
