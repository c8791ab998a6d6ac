"""Hovers on declarations over a real LSP session, with real wheels whose METADATA has a summary, a license and
links: where it is installed (an editable install's folder too), the metadata, reverse dependencies, importers."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types
from manifest_wheels import PANDA_SUMMARY, PANDA_URLS, build_manifest_wheels

from support.wheels import make_project, pip_install

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_manifest_wheels(tmp_path_factory.mktemp("manifest-wheels"))


@pytest.fixture
def make(tmp_path: Path, house: Path) -> ProjectMaker:
    return ProjectMaker(tmp_path / "ws", house)


def text(hover: types.Hover | None) -> str:
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def test_hover_shows_metadata_reverse_dependencies_and_importers(make: ProjectMaker, workspace: Path) -> None:
    files = {f"app/m{i}.py": "import panda\n" for i in range(10)}
    files["app/other.py"] = "import numbat_mod\n"
    root = make(requirements="panda>=2\nnumbat\nnewt\n", installed=("panda==2.2.3", "frog", "toad", "numbat"),
                files=files)
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: "VS201" in codes)
        panda = text(await session.hover(manifest, 0, 1))
        assert panda.startswith("**panda** `panda>=2`")
        assert f"_{PANDA_SUMMARY}_" in panda
        assert "installed: **2.2.3** in `" in panda and "site-packages" in panda
        assert "2.2.3 satisfies `>=2`" in panda
        assert "license: BSD-3-Clause" in panda
        assert " · ".join(f"[{label}]({url})" for label, url in PANDA_URLS.items()) in panda
        # frog needs it always, toad only through its extra `df`
        assert "required by `frog` 1.0, `toad` 1.0 (extra `df`)" in panda
        assert "imported by 10 files: `app/m0.py`, `app/m1.py`" in panda and "and 2 more" in panda
        assert "not-a-header" not in panda  # the long description is never read as a header
        numbat = text(await session.hover(manifest, 1, 0))
        assert "required by no other installed distribution" in numbat
        assert "imported by 1 file: `app/other.py`" in numbat
        assert "license" not in numbat  # a wheel without one says nothing
        newt = text(await session.hover(manifest, 2, 0))
        assert "not installed in `" in newt and "required by" not in newt


async def test_hover_on_an_editable_install_names_its_source_folder(make: ProjectMaker, house: Path,
                                                                    tmp_path: Path) -> None:
    root = make(requirements="-e ../libs/tortoise\n-e ../libs/hare\n", installed=())
    library = make_project(tmp_path / "ws" / "libs" / "tortoise", "tortoise", "0.1")
    make_project(tmp_path / "ws" / "libs" / "hare", "hare", "0.2")
    pip_install(root / ".venv", "-e", str(library), find_links=house)
    manifest = root / "requirements.txt"
    async with lsp_session(root) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: True)
        hover = text(await session.hover(manifest, 0, 5))
        assert hover.startswith("**../libs/tortoise**")
        assert f"installed: **0.1** (editable: `{library}`)" in hover
        assert [h.label for h in await session.inlay_hints(manifest)] == ["0.1"]
        assert "names no distribution" in text(await session.hover(manifest, 1, 5))  # hare is not installed


SCRIPT = '# /// script\n# dependencies = ["panda==1.5.3"]\n# ///\nimport panda\n'


async def test_hover_on_a_pep723_dependency(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements="panda\n", installed=("panda==2.2.3",), files={"run.py": SCRIPT})
    script = root / "run.py"
    async with lsp_session(workspace) as session:
        session.open(script)
        await session.wait_for(lambda: script.as_uri() in session.client.diagnostics, what="diagnostics")
        hover = text(await session.hover(script, 1, 22))
        assert hover.startswith("**panda** `panda==1.5.3`")
        assert "declared in the script's inline metadata (PEP 723)" in hover
        assert "2.2.3 does **not** satisfy `==1.5.3`" in hover
