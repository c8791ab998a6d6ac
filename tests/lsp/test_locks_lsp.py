"""Lock findings over a real LSP session: VS402 on the manifest's declarations (never also VS201), VS403 in the lock
itself, VS401 following an unsaved manifest, an unsaved lock followed too, and the sync / update fixes offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session

from support.locks import LOCK, PYPROJECT
from venvsense.protocol import SYNC_LOCK, UPDATE_LOCK

pytestmark = pytest.mark.asyncio(loop_scope="function")



async def test_lock_findings_follow_the_buffers_and_offer_the_lock_actions(make_project: ProjectMaker,
                                                                           workspace: Path) -> None:
    root = make_project(requirements=None, files={"pyproject.toml": PYPROJECT, "uv.lock": LOCK},
                        installed=("alpha==1.0", "gamma==1.0", "beta==1.0"))
    pyproject, lock = root / "pyproject.toml", root / "uv.lock"
    async with lsp_session(workspace) as session:
        # alpha is out of sync (on its declaration); gamma is installed but not in the lock (in the lock)
        await session.wait_codes(pyproject, lambda codes: codes == ["VS402"])
        [stray] = await session.wait_codes(lock, lambda codes: codes == ["VS403"])
        assert "gamma 1.0" in stray.message and stray.range.start.line == 0
        actions = await session.code_actions(pyproject, 4)
        sync = [a for a in actions if a.command is not None and a.command.command == SYNC_LOCK]
        assert [a.title for a in sync if a.kind == "quickfix"] == ["Sync .venv with uv.lock"]

        # an unsaved edit of the manifest makes the lock outdated, on the line that changed
        session.open(pyproject)
        session.change(pyproject, PYPROJECT.replace('"beta"]', '"beta",\n    "delta"]'))
        diagnostics = await session.wait_codes(pyproject, lambda codes: "VS401" in codes)
        [outdated] = [d for d in diagnostics if d.code == "VS401"]
        assert outdated.range.start.line == 5 and "'delta'" in outdated.message
        actions = await session.code_actions(pyproject, 5)
        assert [a.title for a in actions if a.command is not None and a.command.command == UPDATE_LOCK
                and a.kind == "quickfix"] == ["Update uv.lock and sync .venv", "Update uv.lock"]

        # an unsaved lock that has what is installed: nothing out of sync any more
        session.close(pyproject)
        session.open(lock)
        session.change(lock, LOCK.replace('version = "2.0"', 'version = "1.0"'))
        await session.wait_codes(pyproject, lambda codes: codes == [])
        await session.wait_codes(lock, lambda codes: codes == ["VS403"])
