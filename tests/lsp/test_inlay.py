"""Inlay hints over a real LSP session: the installed version after each declaration of a requirements file,
``pyproject.toml`` (PEP 621 arrays, optional dependencies, PEP 735 groups, Poetry tables) and a script's PEP 723
block; off with ``inlayHints.installed``; refreshed when the venv changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, Session, lsp_session
from lsprotocol import types
from manifest_wheels import build_manifest_wheels

from support.wheels import pip_install

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_manifest_wheels(tmp_path_factory.mktemp("manifest-wheels"))


@pytest.fixture
def make(tmp_path: Path, house: Path) -> ProjectMaker:
    return ProjectMaker(tmp_path / "ws", house)


def shown(hints: list[types.InlayHint], text: str) -> dict[int, tuple[str, str]]:
    """line → (label, the text just before the hint) of each hint."""
    lines = text.splitlines()
    found = {}
    for hint in hints:
        assert isinstance(hint.label, str)
        assert hint.padding_left is True
        found[hint.position.line] = (hint.label, lines[hint.position.line][: hint.position.character])
    return found


async def ready(session: Session, path: Path) -> None:
    session.open(path)
    await session.wait_for(lambda: path.as_uri() in session.client.diagnostics, what=f"diagnostics of {path.name}")


REQUIREMENTS = "panda==1.5.3\nnumbat  # the numbat\nfrog>=1\nmissing-pkg==1.0\n-r requirements-dev.txt\n"


async def test_requirements_file_hints_show_installed_missing_and_mismatched(make: ProjectMaker,
                                                                            workspace: Path) -> None:
    root = make(requirements=REQUIREMENTS, installed=("panda==2.2.3", "numbat", "frog"),
                files={"requirements-dev.txt": "newt\ntoad ; python_version < '3'\n"})
    manifest, dev = root / "requirements.txt", root / "requirements-dev.txt"
    async with lsp_session(workspace) as session:
        await ready(session, manifest)
        hints = shown(await session.inlay_hints(manifest), REQUIREMENTS)
        assert hints == {0: ("2.2.3 ≠ ==1.5.3", "panda==1.5.3"), 1: ("1.0", "numbat"), 2: ("1.0", "frog>=1"),
                         3: ("not installed", "missing-pkg==1.0")}
        tooltip = next(h.tooltip for h in await session.inlay_hints(manifest) if h.position.line == 0)
        assert isinstance(tooltip, types.MarkupContent)
        assert "does not satisfy `==1.5.3`" in tooltip.value and str(root / ".venv") in tooltip.value
        # only the lines asked for
        assert [h.position.line for h in await session.inlay_hints(manifest, 1, 2)] == [1, 2]
        # an included file gets its own hints; a false marker says why nothing is installed
        await ready(session, dev)
        dev_hints = shown(await session.inlay_hints(dev), dev.read_text())
        assert dev_hints == {0: ("not installed", "newt"),
                             1: ("not installed (marker false here)", "toad ; python_version < '3'")}


async def test_hints_follow_the_buffer_being_typed(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements="panda\n", installed=("panda==2.2.3",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        await ready(session, manifest)
        assert shown(await session.inlay_hints(manifest), "panda\n") == {0: ("2.2.3", "panda")}
        text = "# data\nnumbat\npanda==1.5.3\n"
        session.change(manifest, text)  # no wait: the request answers the check of this version
        assert shown(await session.inlay_hints(manifest), text) == {
            1: ("not installed", "numbat"), 2: ("2.2.3 ≠ ==1.5.3", "panda==1.5.3")}


PYPROJECT = """\
[project]
name = "demo"
version = "1"
dependencies = [
  "panda>=2",  # frames
  "numbat",
]

[project.optional-dependencies]
test = ["frog==0.5", "newt"]

[dependency-groups]
dev = ["toad"]

[tool.poetry.group.lint.dependencies]
frog = "^1"
"""


async def test_pyproject_hints_go_after_each_string_and_poetry_entry(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements=None, installed=("panda==2.2.3", "numbat", "frog", "toad"),
                files={"pyproject.toml": PYPROJECT})
    pyproject = root / "pyproject.toml"
    async with lsp_session(workspace) as session:
        await ready(session, pyproject)
        lines = PYPROJECT.splitlines()
        found = sorted((h.position.line, lines[h.position.line][: h.position.character], h.label)
                       for h in await session.inlay_hints(pyproject))
        assert found == [
            (4, '  "panda>=2"', "2.2.3"),  # after the closing quote, before the comma
            (5, '  "numbat"', "1.0"),
            (9, 'test = ["frog==0.5"', "1.0 ≠ ==0.5"),
            (9, 'test = ["frog==0.5", "newt"', "not installed"),
            (12, 'dev = ["toad"', "1.0"),
            (15, 'frog = "^1"', "1.0"),  # a Poetry table entry
        ]


SCRIPT = """\
# /// script
# requires-python = ">=3.10"
# dependencies = [
#   "panda<2",
#   "newt",  # not installed
# ]
# ///
import panda
"""


async def test_a_scripts_pep723_block_gets_hints_from_the_projects_venv(make: ProjectMaker,
                                                                        workspace: Path) -> None:
    root = make(requirements="panda\n", installed=("panda==2.2.3",),
                files={"tools/run.py": SCRIPT, "tools/plain.py": "import panda  # no block\n"})
    script = root / "tools" / "run.py"
    async with lsp_session(workspace) as session:
        await ready(session, root / "requirements.txt")
        session.open(script)
        hints = await session.inlay_hints(script)
        assert shown(hints, SCRIPT) == {3: ("2.2.3 ≠ <2", '#   "panda<2"'), 4: ("not installed", '#   "newt"')}
        tooltip = hints[0].tooltip
        assert isinstance(tooltip, types.MarkupContent) and "`uv run`" in tooltip.value
        plain = root / "tools" / "plain.py"
        session.open(plain)
        assert await session.inlay_hints(plain) == []


async def test_the_setting_turns_hints_off_and_on_with_a_refresh(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements="panda\n", installed=("panda==2.2.3",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, settings={"inlayHints": {"installed": False}}) as session:
        await ready(session, manifest)
        assert await session.inlay_hints(manifest) == []
        before = session.refreshes.count(types.WORKSPACE_INLAY_HINT_REFRESH)
        session.client.set_configuration({"inlayHints.installed": True}, section="venvsense")
        session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await session.wait_for(lambda: session.refreshes.count(types.WORKSPACE_INLAY_HINT_REFRESH) > before,
                               what="an inlay hint refresh")
        assert [h.label for h in await session.inlay_hints(manifest)] == ["2.2.3"]


async def test_an_install_in_a_terminal_refreshes_the_hints(make: ProjectMaker, house: Path,
                                                           workspace: Path) -> None:
    root = make(requirements="panda\nnewt\n", installed=("panda==1.5.3",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        await ready(session, manifest)
        assert [h.label for h in await session.inlay_hints(manifest)] == ["1.5.3", "not installed"]
        before = session.refreshes.count(types.WORKSPACE_INLAY_HINT_REFRESH)
        pip_install(root / ".venv", "panda==2.2.3", "newt", find_links=house)  # as in a terminal
        await session.wait_for(lambda: session.refreshes.count(types.WORKSPACE_INLAY_HINT_REFRESH) > before,
                               what="an inlay hint refresh after the install")
        assert [h.label for h in await session.inlay_hints(manifest)] == ["2.2.3", "3.0"]


async def test_no_venv_no_hints_and_unknown_documents_get_none(make: ProjectMaker, workspace: Path) -> None:
    root = make(requirements="panda\n", venv=False)
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        await ready(session, manifest)
        assert await session.inlay_hints(manifest) == []
        assert await session.inlay_hints(root / "nowhere.txt") == []
