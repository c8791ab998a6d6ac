"""Lock files, live, in a real session over stdio: a lock rewritten on disk (``uv lock`` in a terminal) changes
the diagnostics and the status (its ``lock`` object, the sync offered first) within 2 s in a client that watches
nothing; ``venvsense.syncLock`` makes them go away; a branch switch that only changes a file outside the watched
globs is noticed through ``.git/HEAD``; "Update the lock and sync" from the fix-all."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from lsp_session import Session, lsp_session, plain
from lsprotocol import types
from test_watching import watched_globs

from support.wheels import make_venv, pip_install, site_packages, uv, uv_executable

pytestmark = [pytest.mark.asyncio(loop_scope="function"),
              pytest.mark.skipif(uv_executable() is None, reason="uv is not installed")]


def pyproject(*dependencies: str) -> str:
    listed = ", ".join(f'"{d}"' for d in dependencies)
    return f'[project]\nname = "app"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = [{listed}]\n'


def locked_project(root: Path, wheels: Path, *dependencies: str) -> Path:
    """A uv project locked offline, with a venv holding exactly what the lock selects."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject(*dependencies), encoding="utf-8")
    uv("lock", "--offline", "--find-links", str(wheels), cwd=root)
    make_venv(root / ".venv")
    return root


def installed(venv: Path) -> dict[str, str]:
    found = {}
    for info in site_packages(venv).glob("*.dist-info"):
        name, version = info.name[: -len(".dist-info")].split("-", 1)
        found[name.lower()] = version
    return found


def lock_of(session: Session) -> Any:
    return session.statuses[-1]["projects"][0]["lock"] if session.statuses else None


def allow_index(session: Session, asked: list[dict[str, Any]]) -> None:
    @session.client.feature("venvsense/confirmIndex")
    def confirm(ls: Any, params: Any) -> dict[str, bool]:
        asked.append(plain(params))
        return {"allow": True}


async def test_a_lock_changed_on_disk_shows_the_drift_and_the_sync_clears_it(workspace: Path, wheels: Path) -> None:
    root = locked_project(workspace / "app", wheels, "alpha==1.0", "gamma")
    pip_install(root / ".venv", "alpha==1.0", "beta==1.0", "gamma==1.0", find_links=wheels)
    manifest = root / "pyproject.toml"
    asked: list[dict[str, Any]] = []
    async with lsp_session(workspace, watch=False, wheelhouse=wheels) as session:  # only the server's poller
        allow_index(session, asked)
        await session.wait_codes(manifest, lambda codes: codes == [])
        await session.wait_for(lambda: lock_of(session) == {"name": "uv.lock", "state": "synced", "count": 0},
                               what="the status's lock: synced")
        # a pull brings a new pin: the manifest and the lock change on disk, outside the editor
        manifest.write_text(pyproject("alpha==2.0", "gamma"), encoding="utf-8")
        await asyncio.to_thread(uv, "lock", "--offline", "--find-links", str(wheels), cwd=root)
        changed_at = time.monotonic()
        await session.wait_codes(manifest, lambda codes: codes == ["VS402"], timeout=10)
        assert time.monotonic() - changed_at <= 2.0
        await session.wait_for(lambda: lock_of(session) == {"name": "uv.lock", "state": "out-of-sync", "count": 1},
                               what="the status's lock: out of sync")
        status = session.statuses[-1]["projects"][0]
        assert status["summary"].endswith(": 1 out of sync with uv.lock, 1 warning")
        sync = status["fixes"][0]
        assert (sync["title"], sync["command"]) == ("Sync .venv with uv.lock", "venvsense.syncLock")
        (diagnostic,) = session.diagnostics(manifest)
        actions = await session.code_actions(manifest, diagnostic.range.start.line)
        assert actions[0].title == "Sync .venv with uv.lock" and actions[0].is_preferred

        result = await session.execute(types.Command(title=sync["title"], command=sync["command"],
                                                     arguments=sync["arguments"]))
        assert result["status"] == "ok", result
        assert installed(root / ".venv") == {"alpha": "2.0", "beta": "1.0", "gamma": "1.0"}
        await session.wait_codes(manifest, lambda codes: codes == [])
        await session.wait_for(lambda: lock_of(session)["state"] == "synced", what="synced again")
        assert len(asked) == 1 and asked[0]["settings"][0]["origin"].startswith("uv.lock line ")
        (kinds,) = session.progress_kinds().values()
        assert kinds[0] == "begin" and kinds[-1] == "end"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=root, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
async def test_a_branch_switch_is_noticed_through_git_head(workspace: Path, wheels: Path) -> None:
    root = locked_project(workspace / "app", wheels, "alpha==1.0")
    pip_install(root / ".venv", "alpha==1.0", find_links=wheels)
    module = root / "pkg" / "app.py"
    module.parent.mkdir()
    (module.parent / "__init__.py").write_text("", encoding="utf-8")
    module.write_text("import alpha\n", encoding="utf-8")
    (root / ".gitignore").write_text(".venv/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    git(root, "checkout", "-q", "-b", "other")
    module.write_text("import alpha\nimport beta\n", encoding="utf-8")  # beta: installed nowhere, declared nowhere
    git(root, "commit", "-q", "-am", "two")
    git(root, "checkout", "-q", "main")
    async with lsp_session(workspace, watch=False, wheelhouse=wheels) as session:
        await session.wait_for(lambda: session.statuses and session.statuses[-1]["projects"][0]["state"] == "ok")
        assert session.codes(module) == []
        # only pkg/app.py changes: no watched glob, no polled file — only .git/HEAD says so
        await asyncio.to_thread(git, root, "checkout", "-q", "other")
        (diagnostic,) = await session.wait_codes(module, lambda codes: codes != [], timeout=10)
        assert "beta" in diagnostic.message and diagnostic.range.start.line == 1
        await asyncio.to_thread(git, root, "checkout", "-q", "main")
        await session.wait_codes(module, lambda codes: codes == [], timeout=10)


async def test_head_is_watched_and_a_head_event_rechecks_the_repository_s_projects(workspace: Path,
                                                                                  wheels: Path) -> None:
    root = locked_project(workspace / "app", wheels, "alpha==1.0")
    pip_install(root / ".venv", "alpha==1.0", find_links=wheels)
    module = root / "pkg" / "app.py"
    module.parent.mkdir()
    module.write_text("import alpha\n", encoding="utf-8")
    (workspace / ".git").mkdir()
    head = workspace / ".git" / "HEAD"
    head.write_text("ref: refs/heads/main\n", encoding="utf-8")
    async with lsp_session(workspace, wheelhouse=wheels) as session:
        await session.wait_for(lambda: session.statuses and session.statuses[-1]["projects"][0]["state"] == "ok")
        (registration,) = await session.wait_for(lambda: session.registrations)
        globs = watched_globs(registration)
        assert {"**/.git/HEAD", "**/uv.lock", "**/poetry.lock", "**/pylock.toml", "**/Pipfile.lock"} <= globs
        # what the switch changed reaches the server only as the HEAD event: the module's own event is not sent
        module.write_text("import alpha\nimport beta\n", encoding="utf-8")
        head.write_text("ref: refs/heads/other\n", encoding="utf-8")
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=head.as_uri(), type=types.FileChangeType.Changed)]))
        (diagnostic,) = await session.wait_codes(module, lambda codes: codes != [])
        assert "beta" in diagnostic.message


async def test_fix_all_updates_the_lock_then_syncs(workspace: Path, wheels: Path) -> None:
    root = locked_project(workspace / "app", wheels, "alpha==1.0")
    pip_install(root / ".venv", "alpha==1.0", find_links=wheels)
    manifest = root / "pyproject.toml"
    async with lsp_session(workspace, wheelhouse=wheels,
                           settings={"install": {"findLinks": [str(wheels)]}}) as session:
        await session.wait_codes(manifest, lambda codes: codes == [])
        manifest.write_text(pyproject("alpha==1.0", "gamma"), encoding="utf-8")  # edited outside the editor
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=manifest.as_uri(), type=types.FileChangeType.Changed)]))
        await session.wait_codes(manifest, lambda codes: "VS401" in codes)
        fix_all = [a for a in await session.code_actions(manifest, 0, only=["source.fixAll.venvsense"])]
        assert [a.title for a in fix_all] == ["venvsense: Update uv.lock and sync .venv"]
        command = fix_all[0].command
        assert command is not None and command.command == "venvsense.updateLock"
        result = await session.execute(command)
        assert result["status"] == "ok", result
        assert "gamma" in (root / "uv.lock").read_text()
        assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
        await session.wait_codes(manifest, lambda codes: codes == [])
