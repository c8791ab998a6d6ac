"""Settings per workspace folder: what the client answers to ``workspace/configuration`` for a folder's scope,
laid over the workspace's ``initializationOptions``; a real session over stdio, real projects and venvs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types
from test_actions import installed_names, titled

pytestmark = pytest.mark.asyncio(loop_scope="function")


def severity_of(diagnostics: list[types.Diagnostic], code: str) -> types.DiagnosticSeverity | None:
    found = [d.severity for d in diagnostics if d.code == code]
    return found[0] if found else None


async def test_each_workspace_folder_gets_its_own_settings(make_project: ProjectMaker, workspace: Path) -> None:
    a = make_project("a", requirements="beta\n")
    b = make_project("b", requirements="beta\n")
    async with lsp_session(workspace, folders=[a, b], settings={"severity": {"VS201": "warning"}},
                           folder_settings={b: {"severity": {"VS201": "hint"}}}) as session:
        in_a = await session.wait_codes(a / "requirements.txt", lambda codes: codes == ["VS201"])
        in_b = await session.wait_codes(b / "requirements.txt", lambda codes: codes == ["VS201"])
        assert severity_of(in_a, "VS201") == types.DiagnosticSeverity.Warning  # the workspace's setting
        assert severity_of(in_b, "VS201") == types.DiagnosticSeverity.Hint  # its folder's


async def test_folder_settings_lay_over_the_workspaces_and_follow_changes(make_project: ProjectMaker,
                                                                         workspace: Path) -> None:
    a = make_project("a", requirements="beta\n", files={"app.py": "import yaml\n"})
    b = make_project("b", requirements="beta\n", files={"app.py": "import yaml\n"})
    workspace_settings = {"severity": {"VS201": "warning"}, "checkUnused": False}
    async with lsp_session(workspace, folders=[a, b], settings=workspace_settings,
                           folder_settings={b: {"checkImports": False}}) as session:
        session.open(a / "app.py")
        session.open(b / "app.py")
        await session.wait_codes(a / "app.py", lambda codes: codes == ["VS301"])
        await session.wait_codes(b / "app.py", lambda codes: codes == [])  # b's own: no import checks
        in_b = await session.wait_codes(b / "requirements.txt", lambda codes: codes == ["VS201"])
        assert severity_of(in_b, "VS201") == types.DiagnosticSeverity.Warning  # the workspace's, not overridden
        # the folder's settings change; the client says so without a payload (as VS Code does), the server asks
        session.client.set_configuration({"checkImports": False, "severity": {"VS201": "off"}}, section="venvsense",
                                         scope_uri=b.as_uri())
        session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await session.wait_codes(b / "requirements.txt", lambda codes: codes == [])
        in_a = await session.wait_codes(a / "requirements.txt", lambda codes: codes == ["VS201"])
        assert severity_of(in_a, "VS201") == types.DiagnosticSeverity.Warning


async def test_a_folders_install_settings_reach_its_installs(make_project: ProjectMaker, workspace: Path,
                                                            wheels: Path) -> None:
    """Only folder b knows the wheelhouse (no PIP_FIND_LINKS in the server's environment, PIP_NO_INDEX=1)."""
    a = make_project("a", requirements="alpha==1.0\n", venv=False)
    b = make_project("b", requirements="alpha==1.0\n", venv=False)
    install = {"install": {"findLinks": [str(wheels)], "noIndex": True}}
    async with lsp_session(workspace, folders=[a, b], folder_settings={b: install}) as session:
        await session.wait_codes(b / "requirements.txt", lambda codes: codes == ["VS101"])
        action = titled(await session.code_actions(b / "requirements.txt", 0), "Create .venv here")
        result = await session.execute(action.command)  # type: ignore[arg-type]
        assert result["status"] == "ok", result
        assert "alpha" in installed_names(b / ".venv")
        action = titled(await session.code_actions(a / "requirements.txt", 0), "Create .venv here")
        result = await session.execute(action.command)  # type: ignore[arg-type]
        assert result["status"] == "failed", result  # a has no wheelhouse and no index
        assert not (a / ".venv").exists()


async def test_a_folder_answer_cannot_grant_trust(make_project: ProjectMaker, workspace: Path) -> None:
    a = make_project("a", requirements="alpha\n", venv=False)
    async with lsp_session(workspace, folders=[a], settings={"trusted": False},
                           folder_settings={a: {"trusted": True, "installer": "pip"}}) as session:
        await session.wait_codes(a / "requirements.txt", lambda codes: codes == ["VS101"])
        actions = await session.code_actions(a / "requirements.txt", 0)
        assert not [action for action in actions if action.command is not None]
        with pytest.raises(Exception, match="not trusted"):
            await session.execute(types.Command(title="Create", command="venvsense.createEnvironment",
                                                arguments=[{"project": a.as_uri()}]))


async def test_an_empty_index_url_is_no_index_and_no_error() -> None:
    """VS Code sends "" for a string setting nobody set: that is no index, not "must be the URL of a package
    index" in every workspace; a text that is no URL still is an error."""
    from venvsense.lsp.settings import read_settings

    settings, errors = read_settings({"install": {"indexUrl": ""}})
    assert errors == [] and settings.index_url is None
    settings, errors = read_settings({"install": {"indexUrl": "--extra-index-url=x"}})
    assert errors and settings.index_url is None
