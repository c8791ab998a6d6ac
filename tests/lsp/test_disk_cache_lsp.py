"""The language server starts a project from the on-disk scan cache the last session (or the CLI) left: the same
diagnostics as without it, and a module changed in between is read again, never taken from the cache."""

from __future__ import annotations

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
