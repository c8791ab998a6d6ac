"""Code lens over a real LSP session: off by default; on, ``imported by N files · installed X`` above each
declaration (each one named on a line of several); refreshed when the imports change."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, Session, lsp_session
from lsprotocol import types
from manifest_wheels import build_manifest_wheels

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_manifest_wheels(tmp_path_factory.mktemp("manifest-wheels"))


@pytest.fixture
def make(tmp_path: Path, house: Path) -> ProjectMaker:
    return ProjectMaker(tmp_path / "ws", house)


async def lenses(session: Session, path: Path) -> list[tuple[int, str]]:
    result = await session.client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
    found = []
    for lens in result or []:
        assert lens.command is not None and lens.command.command == ""  # a title, nothing to run
        found.append((lens.range.start.line, lens.command.title))
    return found


FILES = {f"app/m{i}.py": "import panda\n" for i in range(12)}


async def test_lenses_are_off_by_default_and_count_importers_when_on(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements="panda==1.5.3\nnumbat\nnewt\n", installed=("panda==2.2.3", "numbat"),
                files={**FILES, "app/n.py": "import numbat_mod\n"})
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: "VS202" in codes)
        assert await lenses(session, manifest) == []
    async with lsp_session(workspace, settings={"codeLens": True}) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: "VS202" in codes)
        assert await lenses(session, manifest) == [
            (0, "imported by 12 files · installed 2.2.3 ≠ ==1.5.3"),
            (1, "imported by 1 file · installed 1.0"),
            (2, "not imported · not installed"),
        ]


async def test_a_line_of_several_declarations_names_each(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements=None, installed=("panda==2.2.3",), files={
        **FILES, "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["panda", "newt"]\n'})
    pyproject = root / "pyproject.toml"
    async with lsp_session(workspace, settings={"codeLens": True}) as session:
        session.open(pyproject)
        await session.wait_for(lambda: pyproject.as_uri() in session.client.diagnostics, what="diagnostics")
        assert await lenses(session, pyproject) == [
            (3, "panda: imported by 12 files · installed 2.2.3"), (3, "newt: not imported · not installed")]


async def test_a_new_import_refreshes_the_lenses(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements="numbat\n", installed=("numbat",), files={"app/a.py": "x = 1\n"})
    manifest, module = root / "requirements.txt", root / "app" / "a.py"
    async with lsp_session(workspace, settings={"codeLens": True}) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == ["VS303"])
        assert await lenses(session, manifest) == [(0, "not imported · installed 1.0")]
        before = session.refreshes.count(types.WORKSPACE_CODE_LENS_REFRESH)
        session.open(module)
        session.change(module, "import numbat_mod\n")
        await session.wait_for(lambda: session.refreshes.count(types.WORKSPACE_CODE_LENS_REFRESH) > before,
                               what="a code lens refresh")
        assert await lenses(session, manifest) == [(0, "imported by 1 file · installed 1.0")]
