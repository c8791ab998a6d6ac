"""Changes made outside the editor: client file watching (dynamic registration) and the server's own poller."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types

from support.wheels import make_venv, pip_install, site_packages

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_a_pip_install_in_a_terminal_refreshes_diagnostics_within_two_seconds_in_any_editor(
        make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements="alpha==1.0\nbeta\n", installed=("alpha==1.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, watch=False) as session:  # a client that watches nothing
        await session.wait_codes(manifest, lambda codes: codes == ["VS201"])
        await asyncio.sleep(1.2)  # let the poller take its first stamps
        await asyncio.to_thread(pip_install, root / ".venv", "beta", find_links=wheels)
        installed_at = time.monotonic()
        await session.wait_codes(manifest, lambda codes: codes == [], timeout=5)
        assert time.monotonic() - installed_at <= 2.0


async def test_a_venv_created_in_a_terminal_is_picked_up(make_project: ProjectMaker, workspace: Path,
                                                         wheels: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", venv=False)
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, watch=False) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS101"])
        await asyncio.sleep(1.2)
        await asyncio.to_thread(make_venv, root / ".venv")
        await session.wait_codes(manifest, lambda codes: codes == ["VS201"], timeout=5)
        await session.wait_for(lambda: session.statuses[-1]["projects"][0]["state"] == "problems")


async def test_file_watching_is_registered_only_when_the_client_supports_it(make_project: ProjectMaker,
                                                                           workspace: Path) -> None:
    root = make_project(requirements="beta\n")
    async with lsp_session(workspace, watch=True) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == ["VS201"])
        (registration,) = await session.wait_for(lambda: session.registrations)
        assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        globs = watched_globs(registration)
        assert {"**/pyvenv.cfg", "**/site-packages/*.dist-info", "**/.python-version",
                "**/pyproject.toml", "**/*requirements*.txt"} <= globs
    async with lsp_session(workspace, watch=False) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == ["VS201"])
        assert session.registrations == []
        assert any("cannot watch files" in m.message for m in session.client.log_messages)


async def test_tox_ini_and_hatch_toml_changed_on_disk_are_read_again(make_project: ProjectMaker,
                                                                     workspace: Path) -> None:
    # what tox's and Hatch's environments declare is read from those files: a change to them (a pull, an edit
    # elsewhere) is a change to the project's declarations
    root = make_project(requirements=None, venv=False, files={
        "pyproject.toml": '[project]\nname = "tool"\nversion = "1"\ndependencies = []\n',
        "tox.ini": "[testenv]\ndeps = pytest\n",
        "tests/test_tool.py": "import pytest\nimport responses\nimport trustme\n",
    })
    test_file = root / "tests" / "test_tool.py"
    async with lsp_session(workspace, watch=True) as session:
        session.open(test_file)
        await session.wait_codes(test_file, lambda codes: codes == ["VS302", "VS302"])
        (registration,) = await session.wait_for(lambda: session.registrations)
        assert {"**/tox.ini", "**/hatch.toml"} <= watched_globs(registration)
        for name, text in (("tox.ini", "[testenv]\ndeps =\n    pytest\n    responses\n"),
                           ("hatch.toml", '[envs.hatch-test]\nextra-dependencies = ["trustme"]\n')):
            (root / name).write_text(text, encoding="utf-8")
            session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
                types.FileEvent(uri=(root / name).as_uri(), type=types.FileChangeType.Created if name ==
                                "hatch.toml" else types.FileChangeType.Changed)]))
            await session.wait_codes(test_file, lambda codes, n=name: codes == (["VS302"] if n == "tox.ini" else []))


async def test_a_burst_of_file_events_causes_one_check(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="beta\n")
    manifest = root / "requirements.txt"
    site = site_packages(root / ".venv")
    async with lsp_session(workspace) as session:
        uri = session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == ["VS201"])
        await asyncio.sleep(0.5)
        before = len([p for p in session.published if p.uri == uri])
        for batch in range(5):  # what an install touching 500 files looks like to a watching client
            session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
                types.FileEvent(uri=(site / f"pkg{batch}-1.0.dist-info" / f"f{n}").as_uri(),
                                type=types.FileChangeType.Created) for n in range(100)]))
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        after = len([p for p in session.published if p.uri == uri])
        assert after - before == 1


async def test_a_new_project_is_discovered_when_its_manifest_appears(make_project: ProjectMaker,
                                                                     workspace: Path) -> None:
    make_project(requirements="alpha\n", venv=False)
    async with lsp_session(workspace) as session:
        await session.wait_for(lambda: session.statuses and session.statuses[-1]["projects"][0]["state"] == "missing")
        newcomer = make_project("newcomer", requirements="gamma\n", venv=False)
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=(newcomer / "requirements.txt").as_uri(), type=types.FileChangeType.Created)]))
        await session.wait_codes(newcomer / "requirements.txt", lambda codes: codes == ["VS101"])
        status = await session.status()
        assert newcomer.as_uri() in [p["root"] for p in status["projects"]]


def watched_globs(registration: types.Registration) -> set[str]:
    options = registration.register_options
    found = options["watchers"] if isinstance(options, dict) else options.watchers  # type: ignore[union-attr]
    return {w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in found}


async def test_a_new_requirement_glob_is_watched_and_its_new_files_are_read(make_project: ProjectMaker,
                                                                             workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",))
    async with lsp_session(workspace) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == [])
        await session.wait_for(lambda: session.registrations)
        session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"venvsense": {"requirements": ["deps/*.txt"]}}))
        await session.wait_for(lambda: len(session.registrations) == 2, what="a second registration")
        assert [u.id for u in session.unregistrations] == [session.registrations[0].id]
        assert "**/deps/*.txt" in watched_globs(session.registrations[1])
        # a file that only the new pattern makes a requirements file appears on disk; the client reports it
        extra = root / "deps" / "extra.txt"
        extra.parent.mkdir()
        extra.write_text("beta\n")
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=extra.as_uri(), type=types.FileChangeType.Created)]))
        await session.wait_codes(extra, lambda codes: codes == ["VS201"])


async def test_an_install_finishing_right_after_a_check_is_noticed(make_project: ProjectMaker, workspace: Path,
                                                                  wheels: Path, tmp_path: Path) -> None:
    """The poller's baseline is what the check read: an install that lands before the first poll after the
    check (here: the instant the first diagnostics arrive) is still a change."""
    root = make_project(requirements="alpha==1.0\nbeta\n", installed=("alpha==1.0",))
    manifest = root / "requirements.txt"
    staging = make_venv(tmp_path / "staging")
    await asyncio.to_thread(pip_install, staging, "beta", find_links=wheels)
    built = [entry for entry in site_packages(staging).iterdir() if entry.name.startswith("beta")]
    assert built
    # a client that declares file watching but sends no events: only the poller can notice
    async with lsp_session(workspace, watch=True) as session:
        await session.wait_codes(manifest, lambda codes: codes == ["VS201"])
        for entry in built:  # the install's last step, as fast as a rename
            entry.rename(site_packages(root / ".venv") / entry.name)
        await session.wait_codes(manifest, lambda codes: codes == [])
