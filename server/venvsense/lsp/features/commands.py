"""The contract's commands (``workspace/executeCommand``): argument checks, then the actions layer in a thread
with work-done progress (begin/report/end, cancellable), failures shown and the installer's output logged.

Every command takes one object with at least ``{"project": uri}``; the project must be a folder inside a
workspace folder (or, with no workspace folders, a project the server already knows). Optional keys:

``createEnvironment``    ``python`` (version such as ``3.12`` or an interpreter path), ``installer``, ``groups``
``installMissing``       ``packages``: names to install (default: every VS201/VS203 of the project)
``fixVersions``          ``packages``: names to bring in line (default: every VS201/VS202/VS203)
``recreateEnvironment``  ``python``, ``installer``
``recheck``              ``venv``: use this venv for the project in this session ("Use this project's .venv")
``syncLock``             ``installer``: make the venv match the project's lock exactly (``uv sync --frozen``, …)
``updateLock``           ``sync``: true to sync the venv with the updated lock afterwards (``uv lock``, …)

``createEnvironment`` also takes ``onlyMain`` (true: not the default development set), and ``script`` (the URI
of a PEP 723 script of the project: "Create an environment for this script" — ``uv sync --script`` where uv is
present, else ``.venvs/<name>`` beside it). An index option that
one of the project's files sets (``-i``, ``--extra-index-url``, ``--find-links``) needs the person's consent
before the first install that uses it in this session: the server sends ``venvsense/confirmIndex`` (the VS
Code extension answers it with a modal dialog showing the URLs), and a client that does not know that request
gets ``window/showMessageRequest`` with "Allow" / "Cancel" instead. No answer, or any other, is a no.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcMethodNotFound

from venvsense import protocol
from venvsense.actions.planning import Options, plan_create, plan_install
from venvsense.actions.run import Outcome, execute
from venvsense.actions.scripts import plan_script
from venvsense.actions.steps import ActionError, BackendName, Plan
from venvsense.actions.sync import plan_sync, plan_update_lock
from venvsense.check import ProjectReport
from venvsense.declarations.locks import find_lock
from venvsense.declarations.pythonversion import PYTHON_VERSION
from venvsense.lsp import convert
from venvsense.lsp.context import Context
from venvsense.lsp.progress import Progress
from venvsense.lsp.session import ProjectState, inside

REQUEST_FAILED = -32803
CONFIRM_INDEX = "venvsense/confirmIndex"
ALLOW = "Allow"
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
OUTPUT_LINES_LOGGED = 40

_action_pool = ThreadPoolExecutor(2, thread_name_prefix="venvsense-action")


class CommandRefused(JsonRpcException):
    """A command that may not run here (untrusted workspace, an action already running)."""

    CODE = REQUEST_FAILED
    MESSAGE = "Request Failed"


def _invalid(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message=message)


def _object(arguments: tuple[Any, ...]) -> Mapping[str, Any]:
    if len(arguments) != 1:
        raise _invalid(f"expected one object argument with a project URI, got {len(arguments)} arguments")
    value = arguments[0]
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if not isinstance(value, Mapping):
        raise _invalid("the argument must be an object such as {\"project\": \"file:///...\"}")
    return value


def project_argument(ctx: Context, arguments: tuple[Any, ...]) -> tuple[ProjectState, Mapping[str, Any]]:
    """The project a command is about, validated: a folder inside a workspace folder."""
    value = _object(arguments)
    uri = value.get("project")
    if not isinstance(uri, str):
        raise _invalid("\"project\" must be a file URI")
    path = convert.path_of(uri)
    if path is None:
        raise _invalid(f"\"project\" must be a file: URI, not {uri!r}")
    resolved = path.resolve()
    session = ctx.session
    if session.folders:
        if not any(inside(resolved, folder.resolve()) for folder in session.folders):
            raise _invalid(f"{path} is not inside a workspace folder")
    elif path not in session.projects:
        raise _invalid(f"{path} is not a project this server knows")
    if not path.is_dir():
        raise _invalid(f"{path} is not a folder")
    state = session.projects.get(path) or _unknown_project(ctx, path)
    if state is None or state.root != path:
        raise _invalid(f"{path} is not a project root (no pyproject.toml, setup.cfg or requirements file)")
    return state, value


def _unknown_project(ctx: Context, path: Path) -> ProjectState | None:
    """A folder named by a command that is no known project: inside the workspace, discovery may not have seen
    it yet (so discover again); outside, the nearest project root at or above it is adopted."""
    session = ctx.session
    state = session.project_of(path)
    if state is None:
        if session.in_workspace(path):
            ctx.discovery.schedule(0.0)
        else:
            state = session.adopt_project(path)
    return state


def _packages(value: Mapping[str, Any]) -> list[str] | None:
    packages = value.get("packages")
    if packages is None:
        return None
    if not isinstance(packages, list) or not all(isinstance(p, str) and _NAME.fullmatch(p) for p in packages):
        raise _invalid("\"packages\" must be a list of distribution names")
    return packages


def _options(ctx: Context, state: ProjectState, value: Mapping[str, Any]) -> Options:
    python = value.get("python")
    if python is not None and not (isinstance(python, str) and (
            PYTHON_VERSION.fullmatch(python) or (Path(python).is_absolute() and Path(python).is_file()))):
        raise _invalid("\"python\" must be a version such as 3.12 or the path of an interpreter")
    settings = ctx.session.server_settings_for(state.root)
    installer = value.get("installer", settings.installer)
    if installer not in ("auto", "uv", "pip"):
        raise _invalid("\"installer\" must be auto, uv or pip")
    groups = value.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) and _NAME.fullmatch(g) for g in groups):
        raise _invalid("\"groups\" must be a list of group names")
    only_main = value.get("onlyMain", False)
    if not isinstance(only_main, bool):
        raise _invalid("\"onlyMain\" must be true or false")
    backend: BackendName | None = None if installer == "auto" else installer
    return Options(python=python, installer=backend, groups=tuple(groups),
                   find_links=settings.find_links, no_index=settings.no_index, index_url=settings.index_url,
                   only_main=only_main)


def _refuse_untrusted(ctx: Context, what: str) -> None:
    if not ctx.session.settings.trusted:
        message = f"venvsense: this workspace is not trusted, so it will not {what} (no installer runs here)"
        ctx.client.show(message, types.MessageType.Warning)
        raise CommandRefused(message=message)


async def _current_report(ctx: Context, state: ProjectState) -> ProjectReport:
    await ctx.scheduler.wait_current([state])
    if state.report is None:
        raise CommandRefused(message=f"venvsense could not check {state.root}; see the log")
    return state.report


async def run_plan(ctx: Context, state: ProjectState, title: str,
                   make_plan: Callable[[ProjectReport], Plan | None]) -> dict[str, Any]:
    """Plan (in a thread), then execute with progress and cancellation; re-check the project afterwards."""
    if state.busy:
        raise CommandRefused(message=f"venvsense is already busy with {state.root.name}: {state.busy}")
    report = await _current_report(ctx, state)
    loop = asyncio.get_running_loop()
    try:
        plan = await loop.run_in_executor(_action_pool, make_plan, report)
    except ActionError as error:
        ctx.client.show(f"venvsense: {error}", types.MessageType.Error)
        return {"status": "failed", "message": str(error)}
    if plan is None or not plan.steps:
        message = f"venvsense: nothing to do for {state.root.name}"
        ctx.client.show(message)
        return {"status": "ok", "message": message}
    ctx.client.log(plan.describe(), types.MessageType.Info)
    if not await _consent(ctx, state, plan):
        message = (f"venvsense: nothing was installed in {state.root.name}: the index its files choose was not "
                   "accepted")
        ctx.client.show(message, types.MessageType.Warning)
        return {"status": "declined", "message": message}
    progress = Progress(ctx.client, title)
    await progress.begin(plan.steps[0].description)
    state.busy = title
    ctx.publisher.send_status()
    try:
        outcome: Outcome = await loop.run_in_executor(_action_pool, lambda: execute(
            plan, progress=progress.from_thread(loop), cancel=progress.cancelled,
            trusted=ctx.session.settings.trusted))
        progress.end(outcome.message)
    except ActionError as error:
        progress.end(str(error))
        ctx.client.show(f"venvsense: {error}", types.MessageType.Error)
        return {"status": "failed", "message": str(error)}
    finally:
        progress.end("stopped")  # no-op when it already ended
        state.busy = None
        ctx.scheduler.request(state)
    if outcome.ok:
        ctx.client.show(f"venvsense: {outcome.message}")
    else:
        level = types.MessageType.Warning if outcome.status == "cancelled" else types.MessageType.Error
        ctx.client.show(f"venvsense: {outcome.message}", level)
        if outcome.output:
            tail = "\n".join(outcome.output[-OUTPUT_LINES_LOGGED:])
            ctx.client.log(f"venvsense: {plan.action} output (last lines):\n{tail}", level)
    await ctx.scheduler.wait_current([state])
    return {"status": outcome.status, "message": outcome.message, "installed": list(outcome.installed),
            "missing": list(outcome.missing)}


# --- consent for index options a project's file sets ------------------------------------------------------

# per session: (project root, option, value) the person allowed; a session object is the key (it goes with it)
_allowed: weakref.WeakKeyDictionary[Any, set[tuple[str, str, str]]] = weakref.WeakKeyDictionary()


async def _consent(ctx: Context, state: ProjectState, plan: Plan) -> bool:
    """Whether the person accepts the index options ``plan`` takes from the project's files (asked once per
    option and value in a session; ``True`` at once when there are none)."""
    allowed = _allowed.setdefault(ctx.session, set())
    needed = [s for s in plan.index_to_confirm if (str(state.root), s.option, s.value) not in allowed]
    if not needed:
        return True
    listed = "; ".join(f"{s.option} {s.value} ({s.origin})" for s in needed)
    message = (f"venvsense: {state.root.name}'s requirements files choose where packages come from: {listed}. "
               "Packages downloaded from there are installed, and their builds run code on this machine. "
               "Install from there?")
    params = {"project": convert.uri_of(state.root), "message": message,
              "settings": [{"option": s.option, "value": s.value, "origin": s.origin} for s in needed]}
    ctx.client.log(message, types.MessageType.Warning)
    server = ctx.client.server
    try:
        answer = await server.protocol.send_request_async(CONFIRM_INDEX, params)
        allow = answer is True or (isinstance(answer, Mapping) and answer.get("allow") is True) or \
            getattr(answer, "allow", None) is True
    except JsonRpcMethodNotFound:
        allow = await _ask_with_a_message(ctx, message)
    except JsonRpcException as error:
        ctx.client.log(f"venvsense: {CONFIRM_INDEX} failed ({error}): taken as a no", types.MessageType.Warning)
        allow = False
    if allow:
        allowed.update((str(state.root), s.option, s.value) for s in needed)
    return allow


async def _ask_with_a_message(ctx: Context, message: str) -> bool:
    """The standard request every client knows: ``window/showMessageRequest`` with Allow / Cancel."""
    try:
        item = await ctx.client.server.window_show_message_request_async(types.ShowMessageRequestParams(
            type=types.MessageType.Warning, message=message,
            actions=[types.MessageActionItem(title=ALLOW), types.MessageActionItem(title="Cancel")]))
    except JsonRpcException:
        return False
    title = getattr(item, "title", None) if item is not None else None
    return title == ALLOW


# --- the commands ---------------------------------------------------------------------------------------


async def create_environment(ctx: Context, *arguments: Any) -> dict[str, Any]:
    state, value = project_argument(ctx, arguments)
    options = _options(ctx, state, value)
    _refuse_untrusted(ctx, "create a venv")
    if value.get("script") is not None:
        script = _script_argument(state, value["script"])
        return await run_plan(ctx, state, f"Creating an environment for {script.name}",
                              lambda report: plan_script(report, script, options))
    return await run_plan(ctx, state, f"Creating .venv in {state.root.name}",
                          lambda report: plan_create(report, options))


def _script_argument(state: ProjectState, raw: object) -> Path:
    """``script``: a PEP 723 script of the project (a file URI or an absolute path inside the project)."""
    path = convert.path_of(raw) if isinstance(raw, str) and raw.startswith("file:") else (
        Path(raw) if isinstance(raw, str) and raw else None)
    if path is None or not path.is_absolute():
        raise _invalid("\"script\" must be the file URI of a PEP 723 script")
    if not inside(path.resolve(), state.root.resolve()) or path.suffix != ".py" or not path.is_file():
        raise _invalid(f"{path} is not a Python file of the project {state.root}")
    return path


async def recreate_environment(ctx: Context, *arguments: Any) -> dict[str, Any]:
    state, value = project_argument(ctx, arguments)
    options = _options(ctx, state, value)
    _refuse_untrusted(ctx, "recreate a venv")
    env = state.report.environment if state.report else None
    if env is not None and env.source == "in-project":
        options = replace(options, venv_name=env.path.name)
    return await run_plan(ctx, state, f"Recreating the venv of {state.root.name}",
                          lambda report: plan_create(report, options, recreate=True))


async def install_missing(ctx: Context, *arguments: Any) -> dict[str, Any]:
    state, value = project_argument(ctx, arguments)
    packages = _packages(value)
    options = _options(ctx, state, value)
    _refuse_untrusted(ctx, "install packages")

    def plan(report: ProjectReport) -> Plan:
        names = packages
        if names is None:  # every missing one (VS201/VS203), not the mismatched versions
            names = sorted({f.package for f in report.findings if f.code in ("VS201", "VS203") and f.package})
        return plan_install(report, options, names)

    what = ", ".join(packages) if packages else "missing packages"
    return await run_plan(ctx, state, f"Installing {what}", plan)


async def fix_versions(ctx: Context, *arguments: Any) -> dict[str, Any]:
    state, value = project_argument(ctx, arguments)
    packages = _packages(value)
    options = _options(ctx, state, value)
    _refuse_untrusted(ctx, "install packages")
    what = ", ".join(packages) if packages else "declared versions"
    return await run_plan(ctx, state, f"Installing {what}",
                          lambda report: plan_install(report, options, packages))


async def recheck(ctx: Context, *arguments: Any) -> dict[str, Any]:
    state, value = project_argument(ctx, arguments)
    venv = value.get("venv")
    if venv is not None:
        if not isinstance(venv, str) or not venv:
            raise _invalid("\"venv\" must be the path of a virtual environment")
        path = Path(venv) if Path(venv).is_absolute() else state.root / venv
        if not (path / "pyvenv.cfg").is_file():
            raise _invalid(f"{path} is not a virtual environment (no pyvenv.cfg)")
        state.venv = path
        ctx.client.log(f"venvsense: {state.root} now uses {path}", types.MessageType.Info)
    ctx.scheduler.request(state)
    await ctx.scheduler.wait_current([state])
    return ctx.publisher.status_payload()


def _lock_title(state: ProjectState, verb: str) -> str:
    report = state.report
    env = report.environment.name if report is not None and report.environment is not None else ".venv"
    lock = find_lock(state.root)
    name = lock.name if lock is not None else "the lock"
    if verb.startswith("Updat"):
        return f"{verb} {name}"
    if report is not None and report.environment is None:
        return f"Creating .venv from {name}"
    return f"{verb} {env} with {name}"


async def sync_lock(ctx: Context, *arguments: Any) -> dict[str, Any]:
    state, value = project_argument(ctx, arguments)
    options = _options(ctx, state, value)
    _refuse_untrusted(ctx, "sync the venv with the lock file")
    return await run_plan(ctx, state, _lock_title(state, "Syncing"), lambda report: plan_sync(report, options))


async def update_lock(ctx: Context, *arguments: Any) -> dict[str, Any]:
    state, value = project_argument(ctx, arguments)
    options = _options(ctx, state, value)
    then_sync = value.get("sync", False)
    if not isinstance(then_sync, bool):
        raise _invalid("\"sync\" must be true or false")
    _refuse_untrusted(ctx, "update the lock file")
    result = await run_plan(ctx, state, _lock_title(state, "Updating"),
                            lambda report: plan_update_lock(report, options))
    if not then_sync or result.get("status") != "ok":
        return result
    # planned from the updated lock: run_plan re-checked the project before answering
    return await run_plan(ctx, state, _lock_title(state, "Syncing"), lambda report: plan_sync(report, options))


COMMAND_HANDLERS: dict[str, Callable[..., Any]] = {
    protocol.CREATE_ENVIRONMENT: create_environment,
    protocol.INSTALL_MISSING: install_missing,
    protocol.FIX_VERSIONS: fix_versions,
    protocol.RECREATE_ENVIRONMENT: recreate_environment,
    protocol.RECHECK: recheck,
    protocol.SYNC_LOCK: sync_lock,
    protocol.UPDATE_LOCK: update_lock,
}
