"""Code actions and commands over a real LSP session: real installs from a local wheelhouse, real venvs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsp_session import ProjectMaker, Session, lsp_session
from lsprotocol import types

from support.wheels import site_packages

pytestmark = pytest.mark.asyncio(loop_scope="function")

PROCESS_COMMANDS = {"venvsense.createEnvironment", "venvsense.installMissing", "venvsense.fixVersions",
                    "venvsense.recreateEnvironment"}


def titled(actions: list[types.CodeAction], title: str) -> types.CodeAction:
    for action in actions:
        if action.title == title:
            return action
    raise AssertionError(f"no action {title!r} in {[a.title for a in actions]}")


def installed_names(venv: Path) -> set[str]:
    return {p.name.split("-")[0].lower() for p in site_packages(venv).glob("*.dist-info")}


async def test_install_all_missing_really_installs_and_the_diagnostics_clear(
        make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements="alpha==1.0\ngamma\n")
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS201", "VS201"])
        actions = await session.code_actions(manifest, 0)
        assert titled(actions, "Install alpha==1.0").is_preferred
        result = await session.execute(titled(actions, "Install all missing").command)  # type: ignore[arg-type]
        assert result["status"] == "ok", result
        assert {"alpha", "gamma", "beta"} <= installed_names(root / ".venv")
        await session.wait_codes(manifest, lambda codes: codes == [])
        (kinds,) = session.progress_kinds().values()
        assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
        assert any("installed" in m.message for m in session.client.messages)


async def test_create_venv_here(make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", venv=False)
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS101"])
        action = titled(await session.code_actions(manifest, 0), "Create .venv here")
        result = await session.execute(action.command)  # type: ignore[arg-type]
        assert result["status"] == "ok", result
        assert (root / ".venv" / "pyvenv.cfg").is_file()
        assert "alpha" in installed_names(root / ".venv")
        await session.wait_codes(manifest, lambda codes: codes == [])
        states = [s["projects"][0]["state"] for s in session.statuses]
        assert states[-1] == "ok"
        assert "missing" in states and "busy" in states[states.index("missing"):]


async def test_change_pin_is_a_workspace_edit_and_install_declared_is_a_command(
        make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements="beta\nalpha==1.0  # pinned\n", installed=("alpha==2.0", "beta"))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS202"])
        actions = await session.code_actions(manifest, 1)
        assert titled(actions, "Install alpha==1.0").command.command == "venvsense.fixVersions"  # type: ignore[union-attr]
        pin = titled(actions, "Change pin to alpha==2.0")
        assert pin.command is None and pin.edit is not None
        session.open(manifest)
        session.apply(pin.edit)
        assert session.texts[manifest.as_uri()] == "beta\nalpha==2.0  # pinned\n"
        await session.wait_codes(manifest, lambda codes: codes == [])


async def test_install_the_declared_version(make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==2.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS202"])
        action = titled(await session.code_actions(manifest, 0), "Install alpha==1.0")
        result = await session.execute(action.command)  # type: ignore[arg-type]
        assert result["status"] == "ok", result
        assert any(p.name == "alpha-1.0.dist-info" for p in site_packages(root / ".venv").iterdir())
        await session.wait_codes(manifest, lambda codes: codes == [])


def slow_project(where: Path) -> Path:
    """A local project whose build hangs: installing it takes as long as the test lets it."""
    where.mkdir()
    (where / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "slow_backend"\nbackend-path = ["."]\n\n'
        '[project]\nname = "slowpkg"\nversion = "1.0"\n', encoding="utf-8")
    (where / "slow_backend.py").write_text(
        "import time\n\n"
        "def get_requires_for_build_wheel(config_settings=None):\n    time.sleep(120)\n    return []\n\n"
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    time.sleep(120)\n    raise RuntimeError('never')\n", encoding="utf-8")
    return where


async def test_an_install_can_be_cancelled_and_the_server_keeps_answering(
        make_project: ProjectMaker, workspace: Path, wheels: Path, tmp_path: Path) -> None:
    slow = slow_project(tmp_path / "slowpkg")
    root = make_project(requirements=f"alpha==1.0\nslowpkg @ {slow.as_uri()}\n")
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS201", "VS201"])
        action = titled(await session.code_actions(manifest, 1), "Install all missing")
        running = asyncio.ensure_future(session.execute(action.command))  # type: ignore[arg-type]
        token = await session.wait_for(lambda: next(iter(session.client.progress_reports), None))
        await session.wait_for(lambda: any(s["projects"][0]["state"] == "busy" for s in session.statuses[1:]))
        await asyncio.sleep(1.0)  # the installer is now building slowpkg

        started = time.monotonic()
        hover = await session.hover(manifest, 0, 1)
        actions = await session.code_actions(manifest, 0)
        assert time.monotonic() - started < 1.0, "hover and code actions must not wait for the install"
        assert hover is not None and actions
        assert not running.done()

        session.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(running, 30)
        assert result["status"] == "cancelled", result
        assert session.progress_kinds()[token][-1] == "end"
        await session.wait_for(lambda: any("cancelled" in m.message for m in session.client.messages))
        await session.wait_for(lambda: session.statuses[-1]["projects"][0]["state"] != "busy")


async def test_an_untrusted_workspace_offers_and_runs_no_process(make_project: ProjectMaker, workspace: Path,
                                                                wheels: Path) -> None:
    root = make_project(requirements="beta\nalpha==1.0\n", installed=("alpha==2.0",))
    bare = make_project("bare", requirements="alpha\n", venv=False)
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, settings={"trusted": False}, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS201", "VS202"])
        await session.wait_codes(bare / "requirements.txt", lambda codes: codes == ["VS101"])
        offered = [*await session.code_actions(manifest, 0), *await session.code_actions(manifest, 1),
                   *await session.code_actions(bare / "requirements.txt", 0),
                   *await session.code_actions(manifest, 0, only=["source.fixAll.venvsense"])]
        assert [a.title for a in offered] == ["Change pin to alpha==2.0"]
        assert not any(a.command and a.command.command in PROCESS_COMMANDS for a in offered)
        with pytest.raises(Exception, match="not trusted"):
            await session.execute(types.Command(title="Create", command="venvsense.createEnvironment",
                                                arguments=[{"project": bare.as_uri()}]))
        assert not (bare / ".venv").exists()
        assert "beta" not in installed_names(root / ".venv")


async def test_fix_all_source_action(make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements="alpha==1.0\nbeta\n", installed=("alpha==2.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS201", "VS202"])
        (fix_all,) = await session.code_actions(manifest, 0, only=["source.fixAll"])
        assert fix_all.kind == "source.fixAll.venvsense"
        result = await session.execute(fix_all.command)  # type: ignore[arg-type]
        assert result["status"] == "ok", result
        await session.wait_codes(manifest, lambda codes: codes == [])


async def test_use_this_projects_venv(make_project: ProjectMaker, workspace: Path, wheels: Path,
                                      tmp_path: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",))
    elsewhere = make_project("../elsewhere", requirements=None, installed=("alpha==2.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, settings={"venv": str(elsewhere / ".venv")}) as session:
        await session.wait_codes(manifest, lambda codes: "VS102" in codes)
        action = titled(await session.code_actions(manifest, 0), "Use this project's .venv")
        status = await session.execute(action.command)  # type: ignore[arg-type]
        assert status["projects"][0]["environment"]["path"] == str(root / ".venv")
        await session.wait_codes(manifest, lambda codes: codes == [])


async def test_recreate_a_broken_venv(make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",))
    config = root / ".venv" / "pyvenv.cfg"
    config.write_text(config.read_text().replace("home = ", "home = /nonexistent"), encoding="utf-8")
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(manifest, lambda codes: "VS104" in codes)
        action = next(a for a in await session.code_actions(manifest, 0) if a.title.startswith("Recreate .venv"))
        result = await session.execute(action.command)  # type: ignore[arg-type]
        assert result["status"] == "ok", result
        await session.wait_codes(manifest, lambda codes: codes == [])
        assert "nonexistent" not in config.read_text()


@pytest.mark.parametrize("arguments, message", [
    ([], "one object argument"),
    (["file:///x"], "must be an object"),
    ([{"project": 3}], "file URI"),
    ([{"project": "file:///"}], "not inside a workspace folder"),
    ([{"project": "{root}", "packages": ["--index-url=http://evil"]}], "list of distribution names"),
    ([{"project": "{root}", "python": "; rm -rf /"}], "\"python\" must be"),
])
async def test_command_arguments_are_validated(make_project: ProjectMaker, workspace: Path, wheels: Path,
                                               arguments: list[object], message: str) -> None:
    root = make_project(requirements="beta\n")
    arguments = [{k: (v.replace("{root}", root.as_uri()) if isinstance(v, str) else v) for k, v in a.items()}
                 if isinstance(a, dict) else a for a in arguments]
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == ["VS201"])
        with pytest.raises(Exception, match=message):
            await session.execute(types.Command(title="Install", command="venvsense.installMissing",
                                                arguments=arguments))
        assert await session.status()  # still answering


async def wait_quiet(session: Session) -> None:
    await session.wait_for(lambda: session.statuses and all(
        p["state"] != "busy" for p in session.statuses[-1]["projects"]))


async def test_add_an_undeclared_import_to_requirements_txt(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha\n", installed=("alpha", "delta"),
                        files={"app.py": "import alpha\nimport delta_mod\n"})
    module, manifest = root / "app.py", root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(module)
        await session.wait_codes(module, lambda codes: codes == ["VS302"])
        action = titled(await session.code_actions(module, 1), "Add delta to requirements.txt")
        assert action.edit is not None
        session.apply(action.edit)  # the editor opens requirements.txt and edits its buffer
        assert session.texts[manifest.as_uri()] == "alpha\ndelta\n"
        await session.wait_codes(module, lambda codes: codes == [])


async def test_add_to_pyproject_keeps_its_formatting(make_project: ProjectMaker, workspace: Path) -> None:
    pyproject = ('[project]\nname = "app"  # the name\nversion = "1"\ndependencies = [\n'
                 '    "alpha",  # the first\n]\n\n[tool.other]\nkey = 1\n')
    root = make_project(requirements=None, installed=("alpha", "delta"),
                        files={"pyproject.toml": pyproject, "app.py": "import alpha, delta_mod\n"})
    module = root / "app.py"
    async with lsp_session(workspace) as session:
        session.open(module)
        await session.wait_codes(module, lambda codes: codes == ["VS302"])
        actions = await session.code_actions(module, 0)
        assert [a.title for a in actions if a.title.startswith("Add")] == ["Add delta to pyproject.toml"]
        session.apply(titled(actions, "Add delta to pyproject.toml").edit)  # type: ignore[arg-type]
        assert session.texts[(root / "pyproject.toml").as_uri()] == pyproject.replace(
            '"alpha",  # the first\n', '"alpha",  # the first\n    "delta",\n')
        await session.wait_codes(module, lambda codes: codes == [])


async def test_install_settings_reach_the_installer(make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    """``install.findLinks``/``noIndex`` from the editor are what lets an offline editor create the venv (no
    PIP_FIND_LINKS in the server's environment here)."""
    root = make_project(requirements="alpha==1.0\n", venv=False)
    manifest = root / "requirements.txt"
    settings = {"install": {"findLinks": [str(wheels)], "noIndex": True}}
    async with lsp_session(workspace, settings=settings) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS101"])
        action = titled(await session.code_actions(manifest, 0), "Create .venv here")
        result = await session.execute(action.command)  # type: ignore[arg-type]
        assert result["status"] == "ok", result
        assert "alpha" in installed_names(root / ".venv")


async def test_a_settings_change_that_omits_trusted_keeps_the_workspace_untrusted(
        make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    bare = make_project("bare", requirements="alpha\n", venv=False)
    async with lsp_session(workspace, settings={"trusted": False}, wheelhouse=wheels) as session:
        await session.wait_codes(bare / "requirements.txt", lambda codes: codes == ["VS101"])
        session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"venvsense": {"severity": {"VS303": "off"}}}))
        await session.wait_codes(bare / "requirements.txt", lambda codes: codes == ["VS101"])
        with pytest.raises(Exception, match="not trusted"):
            await session.execute(types.Command(title="Create", command="venvsense.createEnvironment",
                                                arguments=[{"project": bare.as_uri()}]))
        assert not (bare / ".venv").exists()
