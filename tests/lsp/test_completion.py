"""Completion over a real LSP session, against a package index on the loopback interface (``support.index``):
names (installed first, then the index's list), versions (newest first, no pre-releases or yanked unless asked),
extras (installed metadata, else the index's PEP 658 metadata), markers; in requirements files, pyproject.toml
arrays and Poetry tables, and PEP 723 blocks. The cache answers once the index is stopped; ``offline`` and an
untrusted workspace never reach the index; VS210 with ``checkOutdated``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from lsp_session import Session, lsp_session
from lsprotocol import types

from support.index import LocalIndex
from support.wheels import make_venv, pip_install

pytestmark = pytest.mark.asyncio(loop_scope="function")

WAIT = 20.0


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> LocalIndex:
    local = LocalIndex(tmp_path_factory.mktemp("index"))
    local.add("alpha", "1.0", upload_time="2024-01-02T03:04:05Z")
    local.add("alpha", "2.0", extras={"socks": ["beta"], "fast": []}, upload_time="2025-02-03T00:00:00Z")
    local.add("alpha", "2.1rc1")
    local.add("alpha", "1.5", yanked=True)
    local.add("alphabet", "0.1")
    local.add("beta", "1.0")
    return local


def project(root: Path, index: LocalIndex, files: dict[str, str], installed: tuple[str, ...] = ("alpha==1.0",)) -> Path:
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    make_venv(root / ".venv")
    if installed:
        pip_install(root / ".venv", *installed, find_links=index.folder / "files")
    return root


def environment(cache: Path, url: str | None) -> dict[str, str]:
    env = {"VENVSENSE_CACHE_DIR": str(cache), "PIP_NO_INDEX": "", "UV_NO_INDEX": ""}
    if url is not None:
        env["PIP_INDEX_URL"] = url
    return env


async def ask(session: Session, path: Path, line: int, character: int) -> object:
    return await session.client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line, character)))


async def complete(session: Session, path: Path, line: int, character: int) -> types.CompletionList:
    result = await ask(session, path, line, character)
    assert isinstance(result, types.CompletionList), result
    return result


async def until(ask: Callable[[], Awaitable[types.CompletionList]],
                done: Callable[[types.CompletionList], bool]) -> types.CompletionList:
    """Ask again (as a client does while an answer is incomplete) until ``done``; fail after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        result = await ask()
        if done(result):
            return result
        assert time.monotonic() < deadline, f"completion never got there: {labels(result)}"


def hover_text(hover: types.Hover | None) -> str:
    return hover.contents.value if hover is not None and isinstance(hover.contents, types.MarkupContent) else ""


def labels(result: types.CompletionList) -> list[str]:
    return [item.label for item in sorted(result.items, key=lambda i: i.sort_text or i.label)]


def edit_of(item: types.CompletionItem) -> types.TextEdit:
    assert isinstance(item.text_edit, types.TextEdit)
    return item.text_edit


async def test_names_versions_and_extras_in_a_requirements_file(index: LocalIndex, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    root = project(workspace / "proj", index, {"requirements.txt": "alpha==1.0\nbeta==1.0\n"})
    manifest = root / "requirements.txt"
    with index.serving() as url:
        async with lsp_session(workspace, environment=environment(tmp_path / "cache", url)) as session:
            session.open(manifest)
            await session.wait_codes(manifest, lambda codes: codes == ["VS201"])  # beta not installed
            session.change(manifest, "alpha==1.0\nbeta==1.0\nal")
            names = await until(lambda: complete(session, manifest, 2, 2),
                                lambda r: "alphabet" in labels(r))
            assert labels(names)[:2] == ["alpha", "alphabet"]  # installed first
            alpha = next(i for i in names.items if i.label == "alpha")
            assert alpha.detail == "installed 1.0"
            assert alpha.insert_text is None and edit_of(alpha).new_text == "alpha==1.0"  # a pinned file: a pin
            assert edit_of(alpha).range == types.Range(types.Position(2, 0), types.Position(2, 2))

            session.change(manifest, "alpha==1.0\nbeta==1.0\nalpha==")
            versions = await until(lambda: complete(session, manifest, 2, 7), lambda r: not r.is_incomplete)
            assert labels(versions) == ["2.0", "1.0"]  # newest first; no 2.1rc1, no yanked 1.5
            by_label = {i.label: i for i in versions.items}
            assert by_label["1.0"].detail == "installed · 2024-01-02"
            assert by_label["2.0"].detail == "newest · 2025-02-03" and by_label["2.0"].preselect
            session.change(manifest, "alpha==1.0\nbeta==1.0\nalpha==2.1r")
            pre = await complete(session, manifest, 2, 11)
            assert "2.1rc1" in labels(pre) and "1.5" not in labels(pre)
            assert edit_of(pre.items[0]).range.start == types.Position(2, 7)

            session.change(manifest, "alpha==1.0\nbeta==1.0\nalpha[")
            extras = await until(lambda: complete(session, manifest, 2, 6), lambda r: bool(r.items))
            assert sorted(labels(extras)) == ["fast", "socks"]  # the installed 1.0 has none: 2.0's metadata
            assert index.requests["/files/alpha-2.0-py3-none-any.whl.metadata"] == 1

            session.change(manifest, "alpha==1.0\nbeta==1.0\nalpha; sys_pl")
            markers = await complete(session, manifest, 2, 13)
            assert "sys_platform" in labels(markers)
            session.change(manifest, "alpha==1.0\nbeta==1.0\nalpha; sys_platform == '")
            assert "win32" in labels(await complete(session, manifest, 2, 27))
        asked = index.requests["/simple/alpha/"]

    # the index is gone: a new session answers from the cache at once, complete, and asks nothing
    async with lsp_session(workspace, environment=environment(tmp_path / "cache", url)) as session:
        session.open(manifest, "alpha==1.0\nalpha>=")
        await session.wait_codes(manifest, lambda codes: True)
        cached = await complete(session, manifest, 1, 7)
        assert not cached.is_incomplete and labels(cached) == ["2.0", "1.0"]
        assert "alphabet" in labels(await complete(session, manifest, 1, 2))
        deadline = time.monotonic() + WAIT  # the hover shows the newest version once the cache was read
        while "newest on the index: **2.0**" not in hover_text(await session.hover(manifest, 0, 2)):
            assert time.monotonic() < deadline, hover_text(await session.hover(manifest, 0, 2))
    assert index.requests["/simple/alpha/"] == asked


async def test_pyproject_poetry_and_script_blocks_complete_with_their_own_syntax(index: LocalIndex,
                                                                              tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    pyproject = ('[project]\nname = "demo"\nversion = "0"\ndependencies = [\n  "alpha>=1.0",\n  "alp",\n]\n\n'
                 '[tool.poetry.dependencies]\npython = "^3.9"\nalpha = "^2."\n')
    script = '# /// script\n# dependencies = [\n#   "alpha==",\n# ]\n# ///\nimport alpha\n'
    root = project(workspace / "proj", index, {"pyproject.toml": pyproject, "tool.py": script,
                                               "requirements/dev.txt": "alpha>=\n", "notes.txt": "alpha==\n"})
    with index.serving() as url:
        async with lsp_session(workspace, environment=environment(tmp_path / "cache", url)) as session:
            toml = root / "pyproject.toml"
            session.open(toml)
            await session.wait_codes(toml, lambda codes: True)
            names = await complete(session, toml, 5, 6)
            alpha = next(i for i in names.items if i.label == "alpha")
            assert edit_of(alpha).new_text == "alpha>=1.0"  # the array's own style: a floor
            assert edit_of(alpha).range == types.Range(types.Position(5, 3), types.Position(5, 6))
            poetry = await until(lambda: complete(session, toml, 10, 12), lambda r: not r.is_incomplete)
            assert labels(poetry) == ["2.0", "1.0"]
            assert edit_of(poetry.items[0]).range.start == types.Position(10, 10)
            assert await ask(session, toml, 1, 10) is None  # [project] name: nothing to offer
            module = root / "tool.py"
            session.open(module)
            inline = await complete(session, module, 2, 12)
            assert labels(inline) == ["2.0", "1.0"]
            assert await ask(session, module, 5, 7) is None  # code, not the script block
            dev = root / "requirements" / "dev.txt"
            session.open(dev)
            assert labels(await complete(session, dev, 0, 7)) == ["2.0", "1.0"]
            notes = root / "notes.txt"
            session.open(notes)
            assert await ask(session, notes, 0, 7) is None  # not a requirements file


async def test_offline_and_untrusted_workspaces_never_ask_the_index(index: LocalIndex, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    root = project(workspace / "proj", index, {"requirements.txt": "alpha==1.0\nbeta==\n"})
    manifest = root / "requirements.txt"
    with index.serving() as url:
        before = sum(index.requests.values())
        for settings in ({"offline": True}, {"trusted": False}):
            async with lsp_session(workspace, settings=settings,
                                   environment=environment(tmp_path / "cache", url)) as session:
                session.open(manifest)
                await session.wait_codes(manifest, lambda codes: "VS206" in codes)  # beta== is unfinished
                result = await complete(session, manifest, 1, 6)
                assert not result.items and not result.is_incomplete  # nothing known, nothing to wait for
                assert labels(await complete(session, manifest, 0, 2)) == ["alpha"]  # the installed one
                status = await session.status()  # a round trip: any refresh would have been scheduled by now
                assert status["projects"]
        assert sum(index.requests.values()) == before
        async with lsp_session(workspace, settings={"trusted": False, "index": {"allowUntrusted": True}},
                               environment=environment(tmp_path / "cache", url)) as session:
            session.open(manifest)
            await until(lambda: complete(session, manifest, 1, 6), lambda r: labels(r) == ["1.0"])
        assert index.requests["/simple/beta/"] >= 1


async def test_check_outdated_reports_a_newer_version_with_an_update_of_the_pin(index: LocalIndex,
                                                                                tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    root = project(workspace / "proj", index, {"requirements.txt": "alpha==1.0\n"})
    manifest = root / "requirements.txt"
    with index.serving() as url:
        async with lsp_session(workspace, settings={"checkOutdated": True},
                               environment=environment(tmp_path / "cache", url)) as session:
            session.open(manifest)
            diagnostics = await session.wait_codes(manifest, lambda codes: codes == ["VS210"])
            assert diagnostics[0].message == "alpha 2.0 is available (installed 1.0; the declared ==1.0 does not " \
                                             "allow it)"
            actions = await session.code_actions(manifest, 0)
            update = next(a for a in actions if a.title == "Update the pin to alpha==2.0")
            assert update.edit is not None
            session.apply(update.edit)
            assert session.texts[manifest.as_uri()] == "alpha==2.0\n"
    async with lsp_session(workspace, environment=environment(tmp_path / "cache", url)) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == [])  # off by default


async def test_a_client_with_item_defaults_and_snippets_gets_one_range_and_a_pin_snippet(index: LocalIndex,
                                                                                       tmp_path: Path) -> None:
    from lsp_session import capabilities

    workspace = tmp_path / "ws"
    root = project(workspace / "proj", index, {"requirements.txt": "alpha==1.0\nbeta==1.0\n"})
    manifest = root / "requirements.txt"
    client = capabilities()
    assert client.text_document is not None
    client.text_document.completion = types.CompletionClientCapabilities(
        completion_item=types.ClientCompletionItemOptions(snippet_support=True),
        completion_list=types.CompletionListCapabilities(item_defaults=["editRange"]))
    with index.serving() as url:
        async with lsp_session(workspace, environment=environment(tmp_path / "cache", url),
                               client_capabilities=client) as session:
            session.open(manifest, "alpha==1.0\nbeta==1.0\nalp")
            await session.wait_codes(manifest, lambda codes: True)
            result = await complete(session, manifest, 2, 3)
            assert result.item_defaults is not None
            assert result.item_defaults.edit_range == types.Range(types.Position(2, 0), types.Position(2, 3))
            alpha = next(i for i in result.items if i.label == "alpha")
            assert alpha.text_edit is None and alpha.text_edit_text == "alpha==${1:1.0}"
            assert alpha.insert_text_format == types.InsertTextFormat.Snippet
