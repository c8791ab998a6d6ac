"""Noticing changes made outside the editor: client file watching, our own poller, and routing each change to
the checks it affects.

Two independent sources, so that ``pip install x`` in a terminal refreshes diagnostics in any editor:

* ``workspace/didChangeWatchedFiles``, registered dynamically when (and only when) the client says it
  supports dynamic registration; a refusal is logged, not fatal.
* The poller (``venvsense.lsp.poller``), which stats the site-packages folders and ``pyvenv.cfg`` of every venv
  in use and every project root (a new ``.venv`` or manifest changes the root's mtime).

Both feed ``files_changed``, which waits for a quiet moment, so an install touching 500 files causes one check.
Lock files are watched like manifests (a pull, ``uv lock`` in a terminal), and so is the ``HEAD`` of each git
repository holding a project: a branch switch re-checks every project of the repository (and looks for projects
again), even when only files outside the globs changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lsprotocol import types

from venvsense import manifests
from venvsense.lsp import convert
from venvsense.lsp.context import Context
from venvsense.lsp.poller import git_head, project_targets
from venvsense.lsp.scheduler import DISK_DEBOUNCE
from venvsense.lsp.session import Session, inside

REGISTRATION_ID = "venvsense-watched-files"
GIT_HEAD_GLOB = "**/.git/HEAD"  # rewritten by every `git checkout`/`git switch`
# the manifests (one policy), plus what a check reads besides them: modules and the venvs' contents
WATCH_GLOBS = tuple(dict.fromkeys((
    *manifests.WATCH_GLOBS, "**/*.py",
    "**/pyvenv.cfg", "**/site-packages/*.dist-info", "**/site-packages/*.egg-info", "**/site-packages/*.pth",
    GIT_HEAD_GLOB,
)))


def watchers(extra_globs: Iterable[str] = ()) -> list[types.FileSystemWatcher]:
    globs = list(dict.fromkeys([*WATCH_GLOBS, *(f"**/{g.lstrip('/')}" for g in extra_globs)]))
    return [types.FileSystemWatcher(glob_pattern=glob) for glob in globs]


async def register_watchers(ctx: Context, *, again: bool = False) -> bool:
    """Ask the client to watch our files; ``False`` (and a log line) when it cannot or will not. ``again``:
    replace the registration made before (the requirement-file globs changed)."""
    client = ctx.client
    if not client.supports("workspace.did_change_watched_files.dynamic_registration"):
        if not again:
            client.log("venvsense: the client cannot watch files for us; polling venvs instead",
                       types.MessageType.Info)
        return False
    globs = ctx.session.requirement_globs()
    registration = types.Registration(
        id=REGISTRATION_ID,
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers(globs)),
    )
    try:
        if again:
            await client.server.client_unregister_capability_async(types.UnregistrationParams(unregisterations=[
                types.Unregistration(id=REGISTRATION_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES)]))
        await client.server.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
    except Exception as error:
        client.log(f"venvsense: the client refused to watch files ({error}); polling venvs instead",
                   types.MessageType.Warning)
        return False
    return True


def did_change_watched_files(ctx: Context, params: types.DidChangeWatchedFilesParams) -> None:
    changes = [(path, change.type) for change in params.changes
               if (path := convert.path_of(change.uri)) is not None]
    files_changed(ctx, changes)


def files_changed(ctx: Context, changes: Iterable[tuple[Path, types.FileChangeType]],
                  delay: float = DISK_DEBOUNCE) -> None:
    """Files changed on disk (watched-file events, the poller): check what they affect, after a pause."""
    session = ctx.session
    affected: set[Path] = set()
    rediscover = False
    env_owners = session.environment_owners()
    heads: dict[Path, set[Path]] | None = None
    for path, kind in changes:
        if path.name == "HEAD":  # a branch switch: every project of the repository, and discovery again
            if heads is None:
                heads = _heads(session)
            if path in heads:
                affected.update(heads[path])
                rediscover = True
                continue
        for env_path, roots in env_owners.items():
            if inside(path, env_path):
                affected.update(roots)
                break
        else:
            if kind != types.FileChangeType.Changed and (
                    session.is_manifest(path) or session.is_configured_manifest(path)):
                rediscover = True
            if kind == types.FileChangeType.Changed and session.open_document(path) is not None:
                continue  # the buffer, not the disk, is what is checked
            affected.update(s.root for s in session.projects_reading(path))
            if path.name == "pyvenv.cfg" or path.parent.name == "site-packages":
                owner = session.project_of(path)
                if owner is not None:
                    affected.add(owner.root)
    for root in affected:
        state = session.projects.get(root)
        if state is not None:
            ctx.scheduler.request(state, delay)
    if rediscover:
        ctx.discovery.schedule()


def _heads(session: Session) -> dict[Path, set[Path]]:
    """The git ``HEAD`` of each repository holding a project → the roots of its projects."""
    found: dict[Path, set[Path]] = {}
    for root in session.projects:
        head = git_head(root)
        if head is not None:
            found.setdefault(head, set()).add(root)
    return found


def poll_targets(session: Session) -> set[Path]:
    """What the poller stats: every project root, and the folder, ``pyvenv.cfg`` and site-packages of every venv
    in use."""
    found: set[Path] = set()
    for root, state in session.projects.items():
        found |= project_targets(root, state.report)
    return found


def polled_changes(ctx: Context, paths: list[Path]) -> None:
    """The poller saw ``paths`` change: a project root re-reads its manifests list, the rest is a disk change."""
    roots = set(ctx.session.projects)
    events: list[tuple[Path, types.FileChangeType]] = []
    for path in paths:
        if path in roots:
            # something was created or removed in a project root: a venv, a manifest
            ctx.scheduler.spawn(ctx.discovery.refresh_project(path))
        else:
            events.append((path, types.FileChangeType.Changed))
    if events:
        files_changed(ctx, events, delay=0.1)
