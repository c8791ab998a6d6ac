"""Running a plan: each step as an argument list in its own process group, with progress reports,
cancellation, clean-up of what a failed create made, the recreate swap, and a re-check of what is installed.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from venvsense.actions import guard
from venvsense.actions.safety import HeldLock, child_environment, ensure_virtual_environment, venv_lock
from venvsense.actions.steps import ActionError, ActionRefused, Phase, Plan, Step
from venvsense.environment import clear_cache, read_environment, read_installed

Status = Literal["ok", "failed", "cancelled"]
logger = logging.getLogger("venvsense.actions")
OUTPUT_TAIL = 40


@dataclass(frozen=True)
class ProgressEvent:
    """What is happening now: ``percent`` (0–100, of the whole action) when it is known."""

    phase: Phase
    message: str
    percent: float | None = None


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Outcome:
    """How an action ended. ``installed`` (``name version``) and ``missing`` are read from the venv
    afterwards, for the names the plan meant to install; ``output``: the end of a failed command's output."""

    plan: Plan
    status: Status
    message: str
    installed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    output: tuple[str, ...] = ()
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class CommandResult:
    returncode: int | None
    lines: tuple[str, ...]
    cancelled: bool = False
    error: str | None = None


# --- one command ----------------------------------------------------------------------------------------


def _kill_group(process: subprocess.Popen[str], grace: float = 3.0) -> None:
    """Terminate the child's whole process group (build backends, compilers), then make sure it is gone."""
    pgid = process.pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    # the leader may be gone while grandchildren of its group still run
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)


def _stop(process: subprocess.Popen[str], guarded: bool, grace: float = 10.0) -> None:
    """Stop a command: a guarded one by closing the guard's pipe (it kills the command's group with SIGKILL
    and removes its clean-up folder, the same as when venvsense dies), else by signalling its group."""
    if not guarded:
        _kill_group(process)
        return
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:  # a guard that does not answer: at least the guard goes
        _kill_group(process)


def run_command(argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
                on_line: Callable[[str], None] | None = None, cancel: threading.Event | None = None,
                poll: float = 0.05, cleanup: Path | None = None, keep_fds: Sequence[int] = ()) -> CommandResult:
    """Run ``argv`` (a list, never a shell) in a new session, streaming output lines to ``on_line``.

    The command runs under a guard process (``venvsense.actions.guard``) wherever it can: if venvsense dies,
    even by SIGKILL, the guard kills the command's process group and removes ``cleanup`` (an unfinished
    staging folder); ``keep_fds`` (the venv's lock) are held by the guard until then. When ``cancel`` is set
    (or Ctrl-C arrives) the command's process group is killed.
    """
    if isinstance(argv, str):  # a string would be one program name at best; never let it near a shell
        raise ActionRefused("commands are argument lists")
    guarded = guard.available()
    full = guard.guarded_argv(argv, cleanup) if guarded else list(argv)
    try:
        process = subprocess.Popen(
            full, cwd=cwd, env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if guarded else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace",
            bufsize=1, start_new_session=True, pass_fds=tuple(keep_fds) if guarded else (),
        )
    except OSError as error:
        return CommandResult(None, (), error=f"cannot start {full[0]}: {error.strerror or error}")
    lines: list[str] = []
    pending: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            pending.put(line.rstrip("\r\n"))
        pending.put(None)

    reader = threading.Thread(target=read, name="venvsense-output", daemon=True)
    reader.start()
    done = False
    try:
        while not done:
            if cancel is not None and cancel.is_set():
                _stop(process, guarded)
                reader.join(timeout=2)
                return CommandResult(process.returncode, tuple(lines), cancelled=True)
            try:
                line = pending.get(timeout=poll)
            except queue.Empty:
                continue
            if line is None:
                done = True
                break
            lines.append(line)
            if on_line is not None:
                on_line(line)
    except BaseException:  # Ctrl-C (KeyboardInterrupt) or a failing callback: never leave the child running
        _stop(process, guarded)
        raise
    returncode = process.wait()
    if guarded and returncode == guard.CANNOT_START and lines and lines[-1].startswith(guard.MARKER):
        return CommandResult(None, tuple(lines[:-1]), error="cannot start " + lines[-1][len(guard.MARKER):])
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    return CommandResult(returncode, tuple(lines))


# --- progress from installer output ---------------------------------------------------------------------

_UV_COUNT = re.compile(r"^(Resolved|Prepared|Installed|Uninstalled|Audited) (\d+) packages?")
_UV_PLUS = re.compile(r"^ \+ ([A-Za-z0-9._-]+)==(\S+)")
_PIP_COLLECT = re.compile(r"^(?:Collecting|Processing|Obtaining) (\S+)")
_PIP_INSTALLING = re.compile(r"^Installing collected packages: (.+)$")
_PIP_DONE = re.compile(r"^Successfully installed (.+)$")


class InstallProgress:
    """Turns uv/pip output lines into progress events; ``low``–``high`` is this step's share of 100 %."""

    def __init__(self, report: ProgressCallback | None, low: float, high: float, expected: int) -> None:
        self.report = report
        self.low, self.high = low, high
        self.expected = max(expected, 1)
        self.total: int | None = None
        self.seen = 0
        self.installed = 0

    def _emit(self, message: str, fraction: float | None) -> None:
        if self.report is None:
            return
        percent = None
        if fraction is not None:
            percent = self.low + (self.high - self.low) * min(max(fraction, 0.0), 1.0)
        self.report(ProgressEvent("install", message, percent))

    def line(self, text: str) -> None:
        stripped = text.strip()
        count = _UV_COUNT.match(stripped)
        if count:
            verb, number = count.group(1), int(count.group(2))
            if verb == "Resolved":
                self.total = number
                self._emit(f"resolved {number} packages", 0.2)
            elif verb == "Prepared":
                self._emit(f"prepared {number} packages", 0.6)
            elif verb == "Installed":
                self.total = number
                self._emit(f"installing {number} packages", 0.8)
            return
        plus = _UV_PLUS.match(text)
        if plus:
            self.installed += 1
            total = self.total or self.installed
            self._emit(f"installed {plus.group(1)} {plus.group(2)}", 0.8 + 0.2 * self.installed / total)
            return
        collect = _PIP_COLLECT.match(stripped)
        if collect:
            self.seen += 1
            name = Path(collect.group(1)).name if "/" in collect.group(1) else collect.group(1)
            self._emit(f"collecting {name}", 0.5 * min(self.seen / self.expected, 1.0))
            return
        installing = _PIP_INSTALLING.match(stripped)
        if installing:
            names = [n.strip() for n in installing.group(1).split(",") if n.strip()]
            self.total = len(names)
            self._emit(f"installing {len(names)} packages: {', '.join(names)}", 0.6)
            return
        done = _PIP_DONE.match(stripped)
        if done:
            self._emit(f"installed {done.group(1)}", 1.0)
            return
        if stripped.startswith(("error:", "ERROR:")):
            self._emit(stripped, None)


# --- failure messages -----------------------------------------------------------------------------------

_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), message) for pattern, message in (
        (r"No space left on device|os error 28|ENOSPC", "the disk is full (no space left on device)"),
        (r"Permission denied|os error 13|EACCES", "permission denied: the venv or its folder is read-only"),
        # an unreachable index also makes pip say that nothing matched: the network cause comes first
        (r"Failed to fetch|error sending request|dns error|Could not fetch URL|Failed to establish a new "
         r"connection|Max retries exceeded|Connection refused|Name or service not known|timed out",
         "the package index cannot be reached"),
        (r"was not found in the (provided package locations|package registry)|"
         r"No matching distribution found|Could not find a version that satisfies",
         "a requested package (or version) does not exist in the package index"),
        (r"Failed to build|Failed building wheel|subprocess-exited-with-error|Build backend failed|"
         r"metadata-generation-failed|Failed to prepare distributions",
         "a package failed to build"),
        (r"No solution found|ResolutionImpossible|conflicting dependencies|unsatisfiable",
         "the requirements cannot all be satisfied together"),
    )
)


def explain_failure(lines: Sequence[str], fallback: str) -> str:
    text = "\n".join(lines)
    for pattern, message in _CAUSES:
        if pattern.search(text):
            return message
    return fallback


def _error_lines(lines: Sequence[str]) -> tuple[str, ...]:
    wanted = [line for line in lines if re.search(r"error|cause|because|hint|failed|no such|denied", line,
                                                  re.IGNORECASE)]
    return tuple((wanted or list(lines))[-OUTPUT_TAIL:])


# --- the action -----------------------------------------------------------------------------------------


SEED = frozenset({"pip", "setuptools", "wheel"})  # what `python -m venv` installs by itself


def _recheck(plan: Plan, venv: Path) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """What of ``plan.expected`` is installed in ``venv`` now, read from disk (the cache cleared first), and
    how many distributions the venv holds (the seed pip/setuptools not counted)."""
    clear_cache()
    if not (venv / "pyvenv.cfg").exists():
        return (), tuple(plan.expected), 0
    installed = read_installed(read_environment(venv, "configured")).distributions
    have = tuple(f"{installed[n].name} {installed[n].version}" for n in plan.expected if n in installed)
    missing = tuple(n for n in plan.expected if n not in installed)
    return have, missing, len(set(installed) - SEED)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _check_writable(folder: Path) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ActionError(f"no write permission in {folder}: the venv cannot be created there")


def _rewrite_paths(venv: Path, old: Path) -> None:
    """After the swap, scripts and activation files still name the staging folder: point them at ``venv``."""
    old_text, new_text = str(old).encode(), str(venv).encode()
    for folder in (venv / "bin", venv / "Scripts"):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.is_symlink() or not entry.is_file():
                continue
            try:
                data = entry.read_bytes()
            except OSError:
                continue
            if old_text in data and b"\x00" not in data[:4096]:
                mode = entry.stat().st_mode
                entry.write_bytes(data.replace(old_text, new_text))
                os.chmod(entry, mode)
    config = venv / "pyvenv.cfg"
    with contextlib.suppress(OSError):
        data = config.read_bytes()
        if old_text in data:
            config.write_bytes(data.replace(old_text, new_text))


def execute(plan: Plan, *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
            trusted: bool = True, environ: Mapping[str, str] | None = None) -> Outcome:
    """Run ``plan``. Refuses (``ActionRefused``) in an untrusted workspace or when the target is not a venv;
    ``LockBusy`` when another run holds the venv. Failures of the commands come back as an ``Outcome``."""
    if not trusted:
        raise ActionRefused("this workspace is not trusted: venvsense runs no installer in it "
                            "(trust the workspace first)")
    for step in plan.steps:
        if isinstance(step.argv, str) or not all(isinstance(a, str) for a in step.argv):
            raise ActionRefused("a plan step is not an argument list")
    if plan.action in ("install", "sync"):
        ensure_virtual_environment(plan.venv)
    elif plan.action != "lock":
        if plan.action == "create":  # the folder that holds it: `.venvs/` beside a script, uv's cache bucket
            plan.venv.parent.mkdir(parents=True, exist_ok=True)
        _check_writable(plan.venv.parent)
        if plan.action == "create" and os.path.lexists(plan.venv):
            raise ActionError(f"{plan.venv} already exists; venvsense never overwrites a venv (use recreate)")
    cancel = cancel or threading.Event()
    started = time.monotonic()
    with venv_lock(plan.venv) as lock:
        return _execute_locked(plan, progress, cancel, child_environment(environ), started, lock)


def _execute_locked(plan: Plan, progress: ProgressCallback | None, cancel: threading.Event,
                    env: dict[str, str], started: float, lock: HeldLock) -> Outcome:
    def emit(phase: Phase, message: str, percent: float | None = None) -> None:
        if progress is not None:
            progress(ProgressEvent(phase, message, percent))

    if lock.stale_pid is not None:
        who = f"process {lock.stale_pid}" if lock.stale_pid > 0 else "an earlier run"
        message = f"took over the lock {lock.path.name} left by {who}, which is no longer running"
        logger.warning("venvsense: %s", message)
        emit("plan", message)
    created = plan.action in ("create", "recreate")
    if created and plan.build_at != plan.venv and os.path.lexists(plan.build_at):
        emit("cleanup", f"removing {plan.build_at.name}, left unfinished by an earlier run")
        _remove(plan.build_at)  # ours by its name, and the lock is ours
    shares = _shares(plan.steps)
    cleanup = plan.build_at if created and plan.build_at != plan.venv else None
    keep = (lock.fd,) if lock.fd is not None else ()
    try:
        for step, (low, high) in zip(plan.steps, shares, strict=True):
            emit(step.phase, step.description, low)
            watcher = None
            if step.phase == "install":
                watcher = InstallProgress(progress, low, high, len(step.expected))
            saved = _save_lock(plan) if step.phase == "lock" else None
            result = run_command(step.argv, cwd=plan.project, env={**env, **dict(step.environ)}, cancel=cancel,
                                 on_line=watcher.line if watcher else None, cleanup=cleanup, keep_fds=keep)
            failed = result.cancelled or bool(result.error) or result.returncode != 0
            if saved is not None:
                _restore_lock(plan, saved, failed)
            if failed:
                return _stopped(plan, step, result, created, started, emit)
        if created and plan.build_at != plan.venv:
            if plan.action == "recreate":
                emit("swap", f"swapping the new venv in for {plan.venv.name}", 95.0)
            else:
                emit("swap", f"moving the finished venv into place as {plan.venv.name}", 95.0)
                if os.path.lexists(plan.venv):
                    raise FileExistsError(errno.EEXIST, f"{plan.venv} appeared while it was being built")
            _swap(plan)
    except KeyboardInterrupt:
        if created:
            _cleanup(plan, emit)
        raise
    except OSError as error:  # our own file operations (swap, clean-up): disk full, permissions
        if created:
            _cleanup(plan, emit)
        cause = "the disk is full" if error.errno == errno.ENOSPC else (error.strerror or str(error))
        return Outcome(plan, "failed", f"{plan.action} failed: {cause}", duration=time.monotonic() - started)
    emit("check", "checking what is installed", 99.0)
    installed, missing, total = _recheck(plan, plan.venv)
    emit("check", "done", 100.0)
    message = _success_message(plan, installed, total, time.monotonic() - started)
    return Outcome(plan, "ok", message, installed, missing, duration=time.monotonic() - started)


def _save_lock(plan: Plan) -> bytes | None:
    """The lock file's bytes before a lock update rewrites it (``None``: there is none yet)."""
    if plan.lock is None:
        return None
    try:
        return plan.lock.read_bytes()
    except OSError:
        return None


def _restore_lock(plan: Plan, saved: bytes, failed: bool) -> None:
    """A lock update that failed or was cancelled leaves the lock file as it was, not half-written."""
    if not failed or plan.lock is None:
        return
    try:
        if plan.lock.read_bytes() == saved:
            return
    except OSError:
        pass
    staged = plan.lock.with_name(plan.lock.name + ".venvsense-restore")
    with contextlib.suppress(OSError):
        staged.write_bytes(saved)
        os.replace(staged, plan.lock)


def _shares(steps: Sequence[Step]) -> list[tuple[float, float]]:
    """Each step's slice of 0–95 %: creating a venv is quick next to installing."""
    weights = [1.0 if s.phase == "venv" else 4.0 for s in steps]
    total = sum(weights) or 1.0
    out, low = [], 0.0
    for weight in weights:
        high = low + 95.0 * weight / total
        out.append((low, high))
        low = high
    return out


def _success_message(plan: Plan, installed: Sequence[str], total: int, seconds: float) -> str:
    if plan.action == "install":
        return f"installed {', '.join(installed) or 'nothing'} in {plan.venv.name} in {seconds:.1f} s"
    if plan.action in ("sync", "lock"):
        lock = plan.lock.name if plan.lock is not None else "the lock"
        if plan.action == "lock":
            return f"updated {lock} in {seconds:.1f} s"
        return f"synced {plan.venv.name} with {lock} ({total} packages) in {seconds:.1f} s"
    python = plan.interpreter.version if plan.interpreter and plan.interpreter.version else "?"
    why = f" ({plan.interpreter.reason})" if plan.interpreter else ""
    verb = "Created" if plan.action == "create" else "Recreated"
    return (f"{verb} {plan.venv.name} with Python {python}{why} using {plan.backend.name} … installed "
            f"{total} packages in {seconds:.1f} s")


def _stopped(plan: Plan, step: Step, result: CommandResult, created: bool, started: float,
             emit: Callable[[Phase, str, float | None], None]) -> Outcome:
    tail = _error_lines(result.lines)
    if created:
        _cleanup(plan, emit)
        installed: tuple[str, ...] = ()
        missing = tuple(plan.expected)
        kept = (" the old venv is untouched" if plan.action == "recreate" else
                f" the unfinished {plan.venv.name} was removed")
    elif step.phase == "lock":
        installed, missing = (), ()
        lock = plan.lock.name if plan.lock is not None else "the lock"
        kept = f" {lock} is as it was and {plan.venv.name} was not changed"
    else:
        installed, missing, _ = _recheck(plan, plan.venv)
        kept = f" {plan.venv.name} is left as the installer left it"
    duration = time.monotonic() - started
    state = f"{kept};"
    if not created and step.phase != "lock":
        state += (f" installed now: {', '.join(installed) or 'none of them'};"
                  f" not installed: {', '.join(missing) or 'none'}")
    state = state.rstrip(";")
    if result.cancelled:
        return Outcome(plan, "cancelled", f"{plan.action} cancelled during '{step.description}':{state}",
                       installed, missing, tail, duration)
    if result.error:
        return Outcome(plan, "failed", f"{plan.action} failed: {result.error};{state}", installed, missing,
                       tail, duration)
    cause = explain_failure(result.lines, f"{step.argv[0]} exited with status {result.returncode}")
    return Outcome(plan, "failed", f"{plan.action} failed: {cause};{state}", installed, missing, tail,
                   duration)


def _cleanup(plan: Plan, emit: Callable[[Phase, str, float | None], None]) -> None:
    emit("cleanup", f"removing the unfinished {plan.build_at.name}", None)
    with contextlib.suppress(OSError):
        _remove(plan.build_at)


def _swap(plan: Plan) -> None:
    """Old → backup, new → target, delete the backup; on a failed rename the old venv is put back."""
    backup = plan.venv.with_name(plan.venv.name + ".venvsense-old")
    if os.path.lexists(backup):
        _remove(backup)
    had_old = os.path.lexists(plan.venv)
    if had_old:
        os.rename(plan.venv, backup)
    try:
        os.rename(plan.build_at, plan.venv)
    except OSError:
        if had_old:
            os.rename(backup, plan.venv)
        raise
    _rewrite_paths(plan.venv, plan.build_at)
    if had_old:
        with contextlib.suppress(OSError):
            _remove(backup)
