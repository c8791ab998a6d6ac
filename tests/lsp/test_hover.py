"""Hovers over a real LSP session: on a requirement and on an import; and a server that survives bad requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="function")


def text(hover: types.Hover | None) -> str:
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def test_hover_on_a_requirement_shows_what_is_installed_and_whether_it_satisfies(
        make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\nbeta>=1\n", installed=("alpha==2.0", "beta"))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == ["VS202"])
        mismatched = text(await session.hover(manifest, 0, 2))
        assert "installed: **2.0**" in mismatched
        assert "does **not** satisfy `==1.0`" in mismatched
        assert "site-packages" in mismatched
        assert "2.0 satisfies" not in mismatched
        fine = text(await session.hover(manifest, 1, 0))
        assert "1.0 satisfies `>=1`" in fine
        assert "not imported by any module of the project" in fine


async def test_hover_on_a_requirement_lists_the_modules_that_import_it(make_project: ProjectMaker,
                                                                       workspace: Path) -> None:
    root = make_project(requirements="delta\n", installed=("delta",),
                        files={"pkg/a.py": "import delta_mod\n", "pkg/b.py": "from delta_mod import x\n"})
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == [])
        assert "imported by 2 files: `pkg/a.py`, `pkg/b.py`" in text(await session.hover(manifest, 0, 1))


async def test_hover_on_an_import_shows_the_distribution_that_provides_it(make_project: ProjectMaker,
                                                                         workspace: Path) -> None:
    root = make_project(requirements="delta\n", installed=("delta",),
                        files={"app.py": "import os\nimport delta_mod.sub\nfrom nowhere_pkg import x\n"})
    module = root / "app.py"
    async with lsp_session(workspace) as session:
        session.open(module)
        await session.wait_codes(module, lambda codes: codes == ["VS301"])
        provided = text(await session.hover(module, 1, 10))
        assert "provided by **delta** 1.0" in provided
        assert "declared in requirements.txt" in provided
        assert "standard library" in text(await session.hover(module, 0, 8))
        assert "not provided by any installed distribution" in text(await session.hover(module, 2, 8))
        assert await session.hover(module, 1, 0) is None  # on `import`, not on the module


async def test_requests_about_unknown_documents_get_empty_answers(make_project: ProjectMaker,
                                                                  workspace: Path) -> None:
    root = make_project(requirements="beta\n")
    async with lsp_session(workspace) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == ["VS201"])
        assert await session.hover(root / "missing.txt", 3, 3) is None
        assert await session.code_actions(Path("/nowhere/requirements.txt"), 0) == []
        result = await session.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri="untitled:Untitled-1"),
            position=types.Position(0, 0)))
        assert result is None
        assert (await session.status())["projects"]
