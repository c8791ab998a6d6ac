"""Document links over a real LSP session: ``-r``/``-c`` includes to their files, URLs of requirement lines and
of pyproject declarations; and the link reader on its own for the spellings pip accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, Session, lsp_session
from lsprotocol import types

from venvsense.lsp.features.links import requirement_file_links

ASYNC = pytest.mark.asyncio(loop_scope="function")


async def links(session: Session, path: Path) -> list[tuple[int, str, str]]:
    """(line, linked text, target) of each link."""
    result = await session.client.text_document_document_link_async(types.DocumentLinkParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
    lines = path.read_text().splitlines()
    found = []
    for link in result or []:
        start, end = link.range.start, link.range.end
        assert start.line == end.line
        found.append((start.line, lines[start.line][start.character:end.character], link.target or ""))
    return found


REQUIREMENTS = """\
-r requirements-dev.txt
--constraint=constraints.txt
--index-url https://mirror.example/simple  # comment https://not.linked.example/
beta @ https://files.example/beta-1.0-py3-none-any.whl
gamma @ git+https://github.com/example/gamma.git@v1.2#egg=gamma
-r ${HOME}/secret.txt
alpha==1.0
"""


@ASYNC
async def test_includes_and_urls_are_links(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements=REQUIREMENTS,
                        files={"requirements-dev.txt": "-c constraints.txt\n", "constraints.txt": "alpha<2\n"})
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest)
        await session.wait_for(lambda: manifest.as_uri() in session.client.diagnostics, what="diagnostics")
        assert await links(session, manifest) == [
            (0, "requirements-dev.txt", (root / "requirements-dev.txt").as_uri()),
            (1, "constraints.txt", (root / "constraints.txt").as_uri()),
            (2, "https://mirror.example/simple", "https://mirror.example/simple"),
            (3, "https://files.example/beta-1.0-py3-none-any.whl", "https://files.example/beta-1.0-py3-none-any.whl"),
            (4, "git+https://github.com/example/gamma.git@v1.2#egg=gamma", "https://github.com/example/gamma.git"),
        ]
        dev = root / "requirements-dev.txt"
        session.open(dev)
        assert await links(session, dev) == [(0, "constraints.txt", (root / "constraints.txt").as_uri())]


@ASYNC
async def test_pyproject_declaration_urls_are_links(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements=None, files={"pyproject.toml": (
        '[project]\nname = "p"\nversion = "1"\n'
        'dependencies = ["beta @ https://files.example/beta-1.0-py3-none-any.whl", "alpha"]\n'
        '# https://in.a.comment.example/\n')})
    pyproject = root / "pyproject.toml"
    async with lsp_session(workspace) as session:
        session.open(pyproject)
        await session.wait_for(lambda: pyproject.as_uri() in session.client.diagnostics, what="diagnostics")
        assert await links(session, pyproject) == [
            (3, "https://files.example/beta-1.0-py3-none-any.whl", "https://files.example/beta-1.0-py3-none-any.whl")]


def test_every_include_spelling_pip_reads(tmp_path: Path) -> None:
    text = "-rbase.txt\n-r  two.txt\n--requirement three.txt\n--requirement=four.txt\n-c five.txt  # why\n" \
           "  # -r commented.txt\n-e ./local\n-r https://example.com/reqs.txt\n"
    found = [(r.start.line, r.start.column, target) for r, target, _ in
             requirement_file_links(tmp_path / "requirements.txt", text)]
    assert found == [
        (0, 2, (tmp_path / "base.txt").as_uri()), (1, 4, (tmp_path / "two.txt").as_uri()),
        (2, 14, (tmp_path / "three.txt").as_uri()), (3, 14, (tmp_path / "four.txt").as_uri()),
        (4, 3, (tmp_path / "five.txt").as_uri()), (7, 3, "https://example.com/reqs.txt")]
