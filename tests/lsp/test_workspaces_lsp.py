"""Issue 16 in a real editor session (LSP over stdio): a folder with no manifest gets its VS101 and, with a venv,
the "Write requirements.txt from this venv" code action as a file creation that never overwrites; a uv
workspace member's status names the workspace and the member."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import lsp_session
from lsprotocol import types

from support.projects import write
from support.wheels import make_venv, pip_install

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_a_folder_with_no_manifest_without_a_venv_gets_vs101(workspace: Path) -> None:
    root = write(workspace / "tutorial", {"main.py": "import alpha\nimport beta\n"})
    main = root / "main.py"
    async with lsp_session(workspace) as session:
        session.open(main)
        (diagnostic,) = await session.wait_codes(main, lambda codes: codes == ["VS101"])
        assert diagnostic.message.startswith("alpha, beta are imported and there is no venv")
        actions = await session.code_actions(main, 0)
        assert [a.title for a in actions if a.kind == types.CodeActionKind.QuickFix] == [
            "Create .venv here and install alpha, beta"]


async def test_write_requirements_from_the_venv_is_a_new_file(workspace: Path, wheels: Path) -> None:
    root = write(workspace / "tutorial", {"main.py": "import alpha\nimport delta_mod\n"})
    pip_install(make_venv(root / ".venv"), "alpha==1.0", "delta", find_links=wheels)
    main = root / "main.py"
    async with lsp_session(workspace) as session:
        session.open(main)
        (diagnostic,) = await session.wait_codes(main, lambda codes: codes == ["VS302"])
        assert diagnostic.severity == types.DiagnosticSeverity.Information
        (action,) = [a for a in await session.code_actions(main, 0) if a.title.startswith("Write")]
        assert action.title == "Write requirements.txt from this venv"
        assert action.edit is not None and action.edit.document_changes is not None
        create, fill = action.edit.document_changes
        target = (root / "requirements.txt").as_uri()
        assert isinstance(create, types.CreateFile) and create.uri == target
        assert create.options is not None and not create.options.overwrite and not create.options.ignore_if_exists
        assert isinstance(fill, types.TextDocumentEdit) and fill.text_document.uri == target
        (edit,) = fill.edits
        assert isinstance(edit, types.TextEdit)
        pins = [line for line in edit.new_text.splitlines() if not line.startswith("#")]
        assert pins == ["alpha==1.0", "delta==1.0"]
        # the editor creates the file; the project now has a manifest and nothing to say
        (root / "requirements.txt").write_text(edit.new_text, encoding="utf-8")
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=target, type=types.FileChangeType.Created)]))
        await session.wait_codes(main, lambda codes: codes == [])


async def test_the_status_of_a_workspace_member_names_workspace_and_member(workspace: Path, wheels: Path) -> None:
    write(workspace, {
        "pyproject.toml": '[project]\nname = "root"\nversion = "0"\ndependencies = []\n'
                          '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        "packages/api/pyproject.toml": '[project]\nname = "api"\nversion = "0.1"\ndependencies = ["alpha"]\n',
        "packages/api/api/__init__.py": "import alpha\n",
    })
    pip_install(make_venv(workspace / ".venv"), "alpha==1.0", find_links=wheels)
    module = workspace / "packages" / "api" / "api" / "__init__.py"
    async with lsp_session(workspace) as session:
        session.open(module)
        await session.wait_codes(module, lambda codes: codes == [], timeout=60)

        def member_status() -> dict[str, object] | None:
            for status in reversed(session.statuses):
                for project in status["projects"]:
                    if project["root"] == (workspace / "packages" / "api").as_uri() and project["state"] == "ok":
                        return project  # type: ignore[no-any-return]
            return None

        project = await session.wait_for(member_status, what="the member's status")
        assert project["summary"] == ".venv (workspace) · api"
        assert project["workspace"] == {"root": workspace.as_uri(), "member": "api", "shared": True}
        answered = await session.status()
        (root,) = [p for p in answered["projects"] if p["root"] == workspace.as_uri()]
        assert root["summary"] == ".venv (workspace)"


async def test_a_module_opened_in_a_new_folder_makes_it_a_project(workspace: Path) -> None:
    write(workspace / "service", {"requirements.txt": "alpha\n", "app.py": "import alpha\n"})
    async with lsp_session(workspace) as session:
        await session.wait_for(lambda: session.statuses and any(
            p["root"] == (workspace / "service").as_uri() for p in session.statuses[-1]["projects"]))
        fresh = write(workspace / "tutorial", {"main.py": "import beta\n"}) / "main.py"  # after discovery
        session.open(fresh)
        (diagnostic,) = await session.wait_codes(fresh, lambda codes: codes == ["VS101"], timeout=60)
        assert diagnostic.message.startswith("beta is imported and there is no venv")
