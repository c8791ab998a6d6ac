"""References and definitions over a real LSP session: a declaration's import sites, an import's declaration
lines and installed module file (in the venv, and in an editable install's source folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, Session, lsp_session
from lsprotocol import types
from manifest_wheels import build_manifest_wheels

from support.wheels import make_project, pip_install, site_packages

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_manifest_wheels(tmp_path_factory.mktemp("manifest-wheels"))


@pytest.fixture
def make(tmp_path: Path, house: Path) -> ProjectMaker:
    return ProjectMaker(tmp_path / "ws", house)


def places(locations: list[types.Location] | None, root: Path) -> list[tuple[str, int, int, int]]:
    """(path relative to ``root`` or absolute, line, start, end character) of each location, in order."""
    found = []
    for location in locations or []:
        path = Path(location.uri.removeprefix("file://"))
        shown = path.relative_to(root).as_posix() if root in path.parents else str(path)
        found.append((shown, location.range.start.line, location.range.start.character,
                      location.range.end.character))
    return found


async def references(session: Session, path: Path, line: int, character: int,
                     include_declaration: bool = False) -> list[types.Location]:
    return list(await session.client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line, character),
        context=types.ReferenceContext(include_declaration=include_declaration))) or [])


async def definition(session: Session, path: Path, line: int, character: int) -> list[types.Location]:
    result = await session.client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line, character)))
    assert result is None or isinstance(result, list)
    return [item for item in result or [] if isinstance(item, types.Location)]


FILES = {
    "app/a.py": "import os\nimport panda\n",
    "app/b.py": "from panda import frame\n\n\ndef f():\n    import numbat_mod.sub as s\n",
    "app/c.py": "x = 1  # nothing imported\n",
}


async def test_find_all_references_on_a_declaration_lists_every_import_site(make: ProjectMaker,
                                                                          workspace: Path) -> None:
    root = make(requirements="panda\nnumbat\nnewt\n", installed=("panda==2.2.3", "numbat"), files=FILES)
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == ["VS201", "VS303"])
        assert places(await references(session, manifest, 0, 2), root) == [
            ("app/a.py", 1, 7, 12), ("app/b.py", 0, 5, 10)]
        assert places(await references(session, manifest, 1, 0), root) == [("app/b.py", 4, 11, 25)]
        assert await references(session, manifest, 2, 0) == []  # declared, never imported
        with_declaration = places(await references(session, manifest, 0, 2, include_declaration=True), root)
        assert with_declaration[0] == ("requirements.txt", 0, 0, 5)
        # on an import: the same list, for the distribution that provides it
        module = root / "app" / "b.py"
        session.open(module)
        assert places(await references(session, module, 0, 7), root) == [("app/a.py", 1, 7, 12),
                                                                          ("app/b.py", 0, 5, 10)]


async def test_go_to_definition_on_an_import_offers_the_declaration_then_the_module(make: ProjectMaker,
                                                                                  workspace: Path) -> None:
    root = make(requirements="numbat\n", installed=("panda==2.2.3", "numbat"),
                files={**FILES, "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n'
                       'dependencies = ["panda>=2"]\n'})
    module = root / "app" / "b.py"
    site = site_packages(root / ".venv").relative_to(root).as_posix()
    async with lsp_session(workspace) as session:
        session.open(module)
        await session.wait_for(lambda: module.as_uri() in session.client.diagnostics, what="diagnostics")
        assert places(await definition(session, module, 0, 6), root) == [
            ("pyproject.toml", 3, 17, 25), (f"{site}/panda/__init__.py", 0, 0, 0)]
        # a submodule that is not there: the nearest package above it
        assert places(await definition(session, module, 4, 20), root) == [
            ("requirements.txt", 0, 0, 6), (f"{site}/numbat_mod/__init__.py", 0, 0, 0)]
        a = root / "app" / "a.py"
        session.open(a)
        assert await definition(session, a, 0, 8) == []  # the standard library is not ours to answer
        # on a declaration: the installed distribution's modules
        manifest = root / "requirements.txt"
        session.open(manifest)
        assert places(await definition(session, manifest, 0, 2), root) == [
            (f"{site}/numbat_mod/__init__.py", 0, 0, 0)]


SCRIPT = '# /// script\n# dependencies = ["panda"]\n# ///\nimport panda\n'


async def test_definition_in_a_script_goes_to_its_own_block_first(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements="panda\n", installed=("panda==2.2.3",), files={"run.py": SCRIPT})
    script = root / "run.py"
    async with lsp_session(workspace) as session:
        session.open(script)
        await session.wait_for(lambda: script.as_uri() in session.client.diagnostics, what="diagnostics")
        found = places(await definition(session, script, 3, 8), root)
        assert found[:2] == [("run.py", 1, 19, 24), ("requirements.txt", 0, 0, 5)]


async def test_definition_of_an_editable_install_opens_its_source(make: ProjectMaker, house: Path,
                                                                 tmp_path: Path) -> None:
    library = make_project(tmp_path / "libs" / "tortoise", "tortoise", "0.1")
    root = make(requirements="tortoise\n", files={"main.py": "import tortoise\n"})
    pip_install(root / ".venv", "-e", str(library), find_links=house)
    module = root / "main.py"
    async with lsp_session(root) as session:
        session.open(module)
        await session.wait_for(lambda: module.as_uri() in session.client.diagnostics, what="diagnostics")
        assert places(await definition(session, module, 0, 9), root) == [
            ("requirements.txt", 0, 0, 8), (str(library / "src" / "tortoise" / "__init__.py"), 0, 0, 0)]
