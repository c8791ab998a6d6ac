"""When checks run: each project's *generation* (bumped by every reason to check again), debounce timers, the
thread pool that runs ``check_project`` (or the incremental ``recheck_manifests``) off the event loop, and
dropping results computed for an older generation.

A thread cannot be interrupted, so stale work is superseded rather than cancelled: its result is dropped,
never published, and the newest request runs once it finishes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types

from venvsense.check import (
    ProjectReport,
    check_project,
    imports_unchanged,
    recheck_manifests,
    script_blocks_edited,
)
from venvsense.declarations.locks import stored as stored_locks
from venvsense.findings import Finding
from venvsense.imports import DiskScanCache
from venvsense.imports.notebook import NOTEBOOK_SUFFIX
from venvsense.lsp.client import Client
from venvsense.lsp.early import early_candidates, early_findings
from venvsense.lsp.memory import freeze_heap, release_memory
from venvsense.lsp.poller import check_baseline, project_targets, stamps
from venvsense.lsp.publish import Publisher
from venvsense.lsp.session import ProjectState, Session, Snapshot
from venvsense.model import Project, read_model

logger = logging.getLogger("venvsense.lsp")

ANALYSIS_WORKERS = 2
DISK_DEBOUNCE = 0.25  # seconds of quiet after a file-system event before checking again (bursts → one check)
FRESH_TIMEOUT = 30.0  # how long a pull-diagnostics request waits for a running check
RELEASE_AFTER = 0.5  # seconds: after a check this long, hand freed memory back to the system

T = TypeVar("T")


class Scheduler:
    """Runs the checks of the session's projects, newest request wins, and background tasks."""

    def __init__(self, session: Session, publisher: Publisher, client: Client) -> None:
        self.session = session
        self.publisher = publisher
        self.client = client
        # told of each published report, with the one it replaced (refreshes inlay hints and code lenses)
        self.after_check: Callable[[ProjectState, ProjectReport | None, ProjectReport], None] | None = None
        self.pool = ThreadPoolExecutor(ANALYSIS_WORKERS, thread_name_prefix="venvsense-check")
        self._tasks: set[asyncio.Task[Any]] = set()
        self._indexed = False  # every project found at start-up has been checked once
        # given the stamps of what each full check read (the poller compares the disk with them)
        self.record_baseline: Callable[[dict[Path, int]], None] | None = None
        # the CLI's on-disk scan cache, for each project's first check of the session only (a project opened
        # again starts from the last session's scans and classifications; later checks use the memory caches)
        self.disk_cache = DiskScanCache.default()
        # lock files' models kept beside it (``declarations.locks.stored``): a reopened project does not parse its
        # unchanged uv.lock again
        stored_locks.use(self.disk_cache.folder if self.disk_cache is not None else None)
        # told of each published report (the index refresh behind VS210)
        self.refresh_index: Callable[[ProjectState], None] | None = None
        # the generation each project's early findings were last computed for (``_early_buffers``)
        self._early_generation: weakref.WeakKeyDictionary[ProjectState, int] = weakref.WeakKeyDictionary()

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run a coroutine in the background, keeping a reference and logging what it raises."""
        task: asyncio.Task[T] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)

        def done(finished: asyncio.Task[T]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                self.client.log_error("a background task", finished.exception())  # type: ignore[arg-type]

        task.add_done_callback(done)
        return task

    async def in_pool(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the analysis pool (file-system walks, project reads)."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)

    def request(self, state: ProjectState, delay: float = 0.0, *, edited: Path | None = None) -> None:
        """Check the project again, now or after ``delay`` seconds of quiet (each call restarts the wait).

        ``edited``: the reason is an edit of that editor buffer (else anything may have changed)."""
        if edited is None:
            state.needs_full_check = True
        else:
            state.edited_buffers.add(edited)
        state.generation += 1
        state.fresh.clear()
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        if delay > 0:
            loop = asyncio.get_running_loop()
            state.timer = loop.call_later(delay, self._timer_fired, state)
        else:
            self._start(state)
        if (state.running and edited is not None and edited.suffix == ".py" and state.report is None
                and state not in self._early_generation):
            # a module opened while the project's first check runs without it: its early findings now, on the
            # other worker, not after that check (whose result is stale) and the next; once (keystrokes meanwhile
            # wait for the next check, which publishes its own early findings first)
            snapshot = self.session.snapshot(state.root)
            early = self._early_buffers(state, state.generation, snapshot)
            if early:
                self.pool.submit(self._early, state, state.generation, snapshot, state.project, early,
                                 asyncio.get_running_loop())

    def request_all(self, delay: float = 0.0) -> None:
        for state in list(self.session.projects.values()):
            self.request(state, delay)

    def _timer_fired(self, state: ProjectState) -> None:
        state.timer = None
        self._start(state)

    def _tracked(self, state: ProjectState) -> bool:
        """Whether ``state`` is still the session's project at its root (discovery may have replaced it)."""
        return self.session.projects.get(state.root) is state

    def _start(self, state: ProjectState) -> None:
        if state.running or not self._tracked(state):
            return  # the running check restarts when it sees it is stale
        state.running = True
        self.spawn(self._check(state, state.generation, self.session.snapshot(state.root)))

    async def _check(self, state: ProjectState, generation: int, snapshot: Snapshot) -> None:
        loop = asyncio.get_running_loop()
        settings = self.session.check_settings(state)
        started = time.perf_counter()
        report: ProjectReport | None = None
        previous = state.report
        # only manifest buffers edited since ``previous``: no module changed, its import scan still holds
        incremental = (previous is not None and not state.needs_full_check
                       and all(p.suffix not in (".py", NOTEBOOK_SUFFIX) for p in state.edited_buffers))
        project = state.project
        known = project_targets(state.root, previous)
        baseline: dict[Path, int] = {}

        # only module buffers edited: when their imports read as before, every finding of ``previous`` stands
        edited = {path: snapshot.texts[path] for path in state.edited_buffers if path in snapshot.texts}
        modules_only = (previous is not None and not state.needs_full_check and len(edited) == len(state.edited_buffers)
                        and all(p.suffix in (".py", NOTEBOOK_SUFFIX) for p in edited))

        script_edit = [False]
        # the project's first check with modules open: their findings first, from those buffers alone (``early``)
        early = self._early_buffers(state, generation, snapshot)

        def run() -> ProjectReport:
            if modules_only and previous is not None and imports_unchanged(previous, edited):
                return previous
            if modules_only and previous is not None and script_blocks_edited(previous, edited):
                script_edit[0] = True  # a PEP 723 block's keystroke: the manifest path
                return recheck_manifests(previous, project, settings, overrides=snapshot.texts)
            if incremental and previous is not None:  # reads no venv: the last full check's baseline holds
                return recheck_manifests(previous, project, settings, overrides=snapshot.texts)
            before, started = stamps(known), time.time_ns()
            if early:
                self._early(state, generation, snapshot, project, early, loop)
            disk = self.disk_cache if state.checks == 0 else None
            try:
                report = check_project(project, settings, overrides=snapshot.texts, disk_cache=disk)
            finally:
                if disk is not None:
                    disk.forget(project.root)
            baseline.update(check_baseline(before, started, stamps(project_targets(state.root, report))))
            return report

        try:
            report = await loop.run_in_executor(self.pool, run)
        except Exception as error:
            self.client.log_error(f"checking {state.root}", error)
        finally:
            state.running = False
        state.checks += 1
        if state.generation != generation or not self._tracked(state):
            if state.timer is None and self._tracked(state):
                self._start(state)  # superseded: drop this result, check the newest state
            return
        if not self.session.versions_hold(snapshot):
            state.generation += 1
            self._start(state)
            return
        state.checked_generation = generation
        if report is not None:
            state.report = report
            # nothing was requested since this check started (else it would be stale): it covers every change
            state.needs_full_check = False
            state.edited_buffers.clear()
            state.incremental_checks += incremental or script_edit[0]
            self.publisher.publish(state, report, snapshot)
            if self.after_check is not None and report is not previous:
                self.after_check(state, previous, report)
            if baseline and self.record_baseline is not None:
                self.record_baseline(baseline)
            if self.refresh_index is not None:
                self.refresh_index(state)
        elapsed = time.perf_counter() - started
        logger.debug("checked %s in %.1f ms", state.root, elapsed * 1000)
        state.fresh.set()
        self.publisher.send_status()
        if elapsed > RELEASE_AFTER:
            loop.run_in_executor(self.pool, release_memory)
        if not self._indexed and all(s.checked and not s.running for s in self.session.projects.values()):
            self._indexed = True
            freeze_heap()

    def _early_buffers(self, state: ProjectState, generation: int, snapshot: Snapshot) -> dict[Path, str]:
        """The open modules an early publication answers for the check of ``generation`` (``early.py``): only
        before the project's first check ends, once per generation."""
        if state.report is not None or state.checked or self._early_generation.get(state) == generation:
            return {}
        found = early_candidates(snapshot.texts, state.root)
        if found:
            self._early_generation[state] = generation
        return found

    def _early(self, state: ProjectState, generation: int, snapshot: Snapshot, project: Project,
               buffers: dict[Path, str], loop: asyncio.AbstractEventLoop) -> None:
        """In the pool, before a project's first check: the findings of its open modules that need only their
        buffers, the model and the listing (``early.py``), handed to the loop to publish. The model read here is
        the check's too (its readers' caches answer the second reading)."""
        try:
            found = early_findings(read_model(project, self.session.check_settings(state), overrides=snapshot.texts),
                                   buffers)
        except Exception as error:  # the full check that follows says what is wrong
            logger.debug("no early findings for %s: %s", state.root, error)
            return
        if found:
            loop.call_soon_threadsafe(self._publish_early, state, generation, snapshot, found)

    def _publish_early(self, state: ProjectState, generation: int, snapshot: Snapshot,
                       found: dict[Path, list[Finding]]) -> None:
        """Publish early findings unless the check they precede is already stale or done."""
        if (state.generation == generation and self._tracked(state) and state.report is None
                and self.session.versions_hold(snapshot)):
            self.publisher.publish_early(state.root, found, snapshot)
            state.early_paths.update(found)
            state.early.set()

    async def wait_current(self, states: Sequence[ProjectState], timeout: float = FRESH_TIMEOUT) -> None:
        """Wait until each project's report answers its newest generation (logging the ones still running)."""
        for state in states:
            if not state.current:
                try:
                    await asyncio.wait_for(state.fresh.wait(), timeout)
                except asyncio.TimeoutError:
                    self.client.log(f"venvsense: still checking {state.root}", types.MessageType.Warning)

    async def wait_shown(self, states: Sequence[ProjectState], path: Path, timeout: float = FRESH_TIMEOUT) -> None:
        """``wait_current``, except that a project in its first check answers for ``path`` as soon as ``path``'s
        early findings are shown (``early.py``; the check's publication refreshes the pull when they change)."""
        for state in states:
            if state.report is None and not state.checked:
                if path not in state.early_paths:
                    waits = {asyncio.ensure_future(state.fresh.wait()), asyncio.ensure_future(state.early.wait())}
                    _, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                    for task in pending:
                        task.cancel()
                if path in state.early_paths and state.report is None:
                    continue
            await self.wait_current([state], timeout)

    def cancel(self, state: ProjectState) -> None:
        """Drop a project's pending (debounced) check."""
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None

    def stop(self) -> None:
        for state in self.session.projects.values():
            if state.timer:
                state.timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)
