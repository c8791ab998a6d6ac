"""Completion (``textDocument/completion``) in manifests: distribution names (installed ones first, then the
package index's project list), versions after an operator (newest first; pre-releases only when the typed text
or the specifier asks), extras of the named distribution, marker names and values — in requirements files,
``pyproject.toml`` dependency arrays and Poetry tables, and PEP 723 ``# /// script`` blocks.

Answers come at once from what is known (the last check's installed set, the index answers cached on disk); a
missing or old index answer is refreshed in the background by the ``IndexService`` (its own threads, never the
event loop), and the list says it is incomplete so the client asks again as the person types. Nothing is
fetched when the project is ``offline`` or the workspace is untrusted (unless ``index.allowUntrusted``).

The same service refreshes, after each check of a project with ``checkOutdated``, the index answers of its
declared names that are missing or old, and checks the project again when one changed (VS210).
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lsprotocol import types
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.check import ProjectReport
from venvsense.index import (
    DiskCache,
    File,
    IndexService,
    IndexUrl,
    Versions,
    indexes_of,
    newest_cached,
    newest_compatible,
)
from venvsense.index.client import PAGE_MAX_AGE
from venvsense.lsp.context import Context
from venvsense.lsp.features.completion_context import Spot, requirements_spot, script_spot, toml_spot
from venvsense.lsp.jsonrpc import JsonResult
from venvsense.lsp.memory import release_memory
from venvsense.lsp.session import ProjectState
from venvsense.manifests import is_constraints_name, is_requirements_name

OPTIONS = types.CompletionOptions(trigger_characters=["=", ">", "<", "~", "!", "[", ",", ";", " ", '"', "'", "^"],
                                  resolve_provider=False)
NAME_LIMIT = 100
VERSION_LIMIT = 100

MARKERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "python_version": ("the Python version, major.minor", tuple(f"3.{n}" for n in range(15, 7, -1))),
    "python_full_version": ("the full Python version", ()),
    "sys_platform": ("sys.platform", ("linux", "win32", "darwin", "cygwin", "emscripten", "wasi")),
    "platform_system": ("platform.system()", ("Linux", "Windows", "Darwin", "FreeBSD", "Emscripten")),
    "platform_machine": ("platform.machine()", ("x86_64", "aarch64", "arm64", "AMD64", "i686", "ppc64le", "s390x")),
    "os_name": ("os.name", ("posix", "nt")),
    "implementation_name": ("sys.implementation.name", ("cpython", "pypy", "graalpy")),
    "platform_python_implementation": ("platform.python_implementation()", ("CPython", "PyPy", "GraalPy")),
    "platform_release": ("platform.release()", ()),
    "platform_version": ("platform.version()", ()),
    "implementation_version": ("the implementation's version", ()),
    "extra": ("an extra of the project being installed", ()),
}

_services: dict[int, IndexService] = {}
_indexes: dict[Path, tuple[ProjectReport, tuple[IndexUrl, ...]]] = {}
# each project's last read of the cache after a check: (its names, indexes, whether VS210 refreshes), when
_last_read: dict[Path, tuple[object, float]] = {}


# --- the index service and when it may use the network ----------------------------------------------------


def service(ctx: Context) -> IndexService:
    """This server's index service (made on first use, answering updates on the event loop)."""
    found = _services.get(id(ctx))
    if found is None:
        loop = asyncio.get_running_loop()

        def updated(key: str) -> None:
            loop.call_soon_threadsafe(_updated, ctx, key)

        found = _services[id(ctx)] = IndexService(DiskCache.default(), on_update=updated)
    return found


def network_allowed(ctx: Context, report: ProjectReport | None) -> bool:
    """Whether an index may be asked for this project: not ``offline``, and a trusted workspace (or the person
    allowed indexes in untrusted ones)."""
    settings = ctx.session.settings
    if not settings.trusted and not settings.index_allow_untrusted:
        return False
    offline = report.settings.offline if report is not None else ctx.session.engine_settings.offline
    return not offline


def project_indexes(report: ProjectReport) -> tuple[IndexUrl, ...]:
    """The indexes of the project of ``report`` (kept per report: a check makes a new one)."""
    kept = _indexes.get(report.project.root)
    if kept is not None and kept[0] is report:
        return kept[1]
    data = report.pyproject_toml.data if report.pyproject_toml is not None else None
    found = indexes_of(report.manifests, data, os.environ)
    _indexes[report.project.root] = (report, found)
    return found


def _updated(ctx: Context, key: str) -> None:
    """A refresh brought a new answer: check again the project whose VS210 refresh it was."""
    if key.startswith("outdated:"):
        state = ctx.session.projects.get(Path(key.removeprefix("outdated:")))
        if state is not None:
            ctx.scheduler.request(state)


def after_check(ctx: Context, state: ProjectState) -> None:
    """After a check: read the cached index answers of the project's declared names (``newest_cached``, for
    hovers), and with ``checkOutdated`` refresh those that are missing or old (VS210 reads the cache) — on a
    worker thread, once per change of the names (a keystroke's check that declares the same names asks
    nothing), or again after ``PAGE_MAX_AGE``; when an answer changed, check the project again."""
    report = state.report
    if report is None:
        return
    indexes = project_indexes(report)
    names = tuple(sorted({d.normalized for d in report.declarations if d.kind == "registry" and d.normalized}))
    if not indexes or not names:
        return
    outdated = report.settings.check_outdated and network_allowed(ctx, report)
    key = (names, indexes, outdated)
    now = time.monotonic()
    last = _last_read.get(state.root)
    if last is not None and last[0] == key and now - last[1] < PAGE_MAX_AGE:
        return
    index = service(ctx)

    def work() -> bool:
        _read_cached(index, indexes, names)
        if not outdated:
            return False
        changed = False
        for name in names:
            if index.needs_refresh(indexes, name):
                changed |= index.refresh_project(indexes, name)
        return changed

    if index.schedule(f"outdated:{state.root}", work) is not None:
        _last_read[state.root] = (key, now)


def _read_cached(index: IndexService, indexes: tuple[IndexUrl, ...], names: Iterable[str]) -> bool:
    for name in names:
        index.versions(indexes, name)
    return False


# --- the request --------------------------------------------------------------------------------------------


def is_requirements_file(ctx: Context, path: Path) -> bool:
    """A requirements or constraints file by the manifest policy's names, or by the project's own globs."""
    if path.suffix.lower() in (".txt", ".in") and (
            is_requirements_name(path, Path(path.anchor)) or is_constraints_name(path.name)):
        return True
    return ctx.session.is_configured_manifest(path)


def _lines(text: str) -> list[str]:
    """The lines as LSP counts them (``splitlines`` would also split at form feeds and other separators)."""
    return [line.rstrip("\r") for line in text.split("\n")]


def spot_at(ctx: Context, path: Path, text: str, line: int, column: int) -> Spot | None:
    """What is being typed at ``line``/``column`` of ``path`` (``None`` where venvsense offers nothing)."""
    if line < 0 or column < 0:
        return None
    if path.name == "pyproject.toml":
        return toml_spot(_lines(text), line, column, "pyproject")
    if path.suffix in (".py", ".pyw"):
        if "# /// script" not in text:  # the common case, typing code: answered without reading further
            return None
        return script_spot(_lines(text), line, column)
    if is_requirements_file(ctx, path):
        lines = text.split("\n", line + 1)
        return requirements_spot(lines[line].rstrip("\r") if line < len(lines) else "", column)
    return None


def completion(ctx: Context, params: types.CompletionParams) -> JsonResult | None:
    session = ctx.session
    path = session.path_of_document(params.text_document.uri)
    if path is None:
        return None
    document = session.open_document(path)
    text = document.source if document is not None else session.text_of(path)
    if text is None:
        return None
    position = session.converter_for(path).from_client(params.position)
    spot = spot_at(ctx, path, text, position.line, position.column)
    if spot is None:
        return None
    state = session.project_of(path)
    report = state.report if state is not None else None
    items, incomplete = Completer(ctx, report, spot, path).items()
    start = session.converter_for(path).to_client(type(position)(position.line, spot.start))
    edit_range = {"start": {"line": start.line, "character": start.character},
                  "end": {"line": params.position.line, "character": params.position.character}}
    defaults = ctx.client.capability("text_document.completion.completion_list.item_defaults", None) or ()
    answer: dict[str, Any] = {"isIncomplete": incomplete, "items": items}
    if "editRange" in defaults:  # LSP 3.17: one range for every item, ``textEditText`` where the text differs
        answer["itemDefaults"] = {"editRange": edit_range}
    else:
        for each in items:
            each["textEdit"] = {"range": edit_range, "newText": each.pop("textEditText", each["label"])}
    return JsonResult(answer)


Item = dict[str, Any]  # a CompletionItem as JSON: built as plain data, a list of hundreds is answered at once


def item(label: str, kind: types.CompletionItemKind, detail: str | None = None, *, sort: str | None = None,
         text: str | None = None, snippet: bool = False, preselect: bool = False) -> Item:
    """A ``CompletionItem``; ``text`` replaces what was typed (the label when ``None``)."""
    found: Item = {"label": label, "kind": int(kind)}
    if detail:
        found["detail"] = detail
    if sort is not None:
        found["sortText"] = sort
    if text is not None and text != label:
        found["textEditText"] = text
    if snippet:
        found["insertTextFormat"] = int(types.InsertTextFormat.Snippet)
    if preselect:
        found["preselect"] = True
    return found


def _prerelease_wanted(spot: Spot) -> bool:
    """Pre-releases are offered when the typed version or another clause of the specifier names one."""
    return bool(re.search(r"\d[-_.]?[a-z]", f"{spot.partial},{spot.clauses}", re.I))


class Completer:
    """The items of one request."""

    def __init__(self, ctx: Context, report: ProjectReport | None, spot: Spot, path: Path) -> None:
        self.ctx = ctx
        self.report = report
        self.spot = spot
        self.path = path
        self.network = network_allowed(ctx, report)
        self.indexes = project_indexes(report) if report is not None else ()
        self.snippets = bool(ctx.client.capability("text_document.completion.completion_item.snippet_support",
                                                    False))

    def items(self) -> tuple[list[Item], bool]:
        kind = self.spot.kind
        if kind == "name":
            return self.names()
        if kind == "version":
            return self.versions()
        if kind == "extra":
            return self.extras()
        if kind == "marker-name":
            return [item(name, types.CompletionItemKind.Variable, about) for name, (about, _) in MARKERS.items()], False
        values = MARKERS.get(self.spot.marker, ("", ()))[1]
        if self.spot.marker == "extra" and self.report is not None:
            values = tuple(dict.fromkeys(d.group for d in self.report.declarations if d.group != "main"))
        return [item(value, types.CompletionItemKind.Value) for value in values], False

    # --- names ---

    def _installed(self) -> dict[str, tuple[str, str]]:
        installed = self.report.installed if self.report is not None else None
        if installed is None:
            return {}
        return {key: (dist.name, dist.version) for key, dist in installed.distributions.items()}

    def names(self) -> tuple[list[Item], bool]:
        typed = self.spot.partial
        wanted = canonicalize_name(typed) if typed.strip("-_.") else ""
        items: list[Item] = []
        installed = self._installed()
        for key, (name, version) in sorted(installed.items()):
            if key.startswith(wanted):
                items.append(self._name_item(name, key, f"installed {version}", "0", version))
        index = service(self.ctx)
        incomplete = False
        if self.indexes:
            found = index.names(self.indexes, wanted, NAME_LIMIT + 1)
            incomplete = len(found) > NAME_LIMIT or not wanted
            for key in found[:NAME_LIMIT]:
                if key not in installed:
                    items.append(self._name_item(key, key, f"on {self._host}", "1", None))
            if self.network and index.needs_refresh(self.indexes, None):
                index.schedule("names:" + ",".join(i.url for i in self.indexes),
                               functools.partial(_refresh_names, index, self.indexes))
                incomplete = True
        return items, incomplete

    @functools.cached_property
    def _host(self) -> str:
        return ", ".join(sorted({i.shown.split("/")[2].rpartition("@")[2] for i in self.indexes})) or "the index"

    @functools.cached_property
    def _style(self) -> str:
        """The operator this file's declarations mostly use (``==`` in a pinned file), or ``""``."""
        if self.spot.flavor == "poetry":
            return "^"
        if self.report is None:
            return ""
        counts: dict[str, int] = {}
        for declaration in self.report.declarations:
            if declaration.file == self.path and declaration.kind == "registry" and declaration.specifier:
                operator = re.match(r"\s*(===|==|~=|>=|<=|!=|<|>)?", declaration.specifier)
                key = operator.group(1) or "" if operator else ""
                counts[key] = counts.get(key, 0) + 1
        if not counts:
            return ""
        best = max(counts, key=lambda k: counts[k])
        return best if best in ("==", ">=", "~=") and counts[best] * 2 > sum(counts.values()) else ""

    def _name_item(self, label: str, key: str, detail: str, rank: str,
                   version: str | None) -> Item:
        style = self._style
        if version is None and style:
            version = newest_cached(key)  # a page read before (looking up every listed name would be slow)
        text = label
        snippet = False
        if style and version and not self.spot.rest.strip("\"' ,]"):
            if self.spot.flavor == "poetry":
                text, snippet = (f'{label} = "${{1:^{version}}}"', True) if self.snippets else (
                    f'{label} = "^{version}"', False)
            else:
                text, snippet = (f"{label}{style}${{1:{version}}}", True) if self.snippets else (
                    f"{label}{style}{version}", False)
        elif self.spot.flavor == "poetry" and not self.spot.rest.strip():
            text = f'{label} = "*"'
        return item(label, types.CompletionItemKind.Module, detail, sort=f"{rank}{key}", text=text, snippet=snippet)

    # --- versions ---

    def _versions(self, name: str) -> Versions:
        index = service(self.ctx)
        known = index.versions(self.indexes, name) if self.indexes else Versions((), False)
        if self.network and self.indexes and index.needs_refresh(self.indexes, name):
            index.schedule(f"project:{canonicalize_name(name)}",
                           functools.partial(index.refresh_project, self.indexes, name))
        return known

    def _python(self) -> str | None:
        env = self.report.environment if self.report is not None else None
        return env.python if env is not None else None

    def versions(self) -> tuple[list[Item], bool]:
        name = self.spot.name
        known = self._versions(name)
        installed = self._installed().get(canonicalize_name(name))
        pre = _prerelease_wanted(self.spot)
        python = self._python()
        items: list[Item] = []
        seen: set[str] = set()
        truncated = False
        newest = newest_compatible(known.releases, python, prereleases=pre)
        for release in known.releases:
            text = str(release.version)
            if (release.version.is_prerelease and not pre) or (release.yanked and text != self.spot.partial):
                continue
            details = []
            if installed is not None and _same(installed[1], release.version):
                details.append("installed")
            if release is newest:
                details.append("newest")
            if release.upload_time:
                details.append(release.upload_time[:10])
            if not release.supports(python):
                details.append(f"not for Python {python}")
            items.append(item(text, types.CompletionItemKind.Constant, " · ".join(details), sort=f"{len(items):05d}",
                              preselect=release is newest))
            seen.add(text)
            if len(items) >= VERSION_LIMIT:
                truncated = True
                break
        if installed is not None and installed[1] not in seen:
            items.insert(0, item(installed[1], types.CompletionItemKind.Constant, "installed", sort="!"))
        return items, truncated or (not known.known and self.network and bool(self.indexes))

    # --- extras ---

    def extras(self) -> tuple[list[Item], bool]:
        name = canonicalize_name(self.spot.name)
        installed = self.report.installed if self.report is not None else None
        dist = installed.distributions.get(name) if installed is not None else None
        if dist is not None and dist.extras:
            return self._extra_items(dist.extras, f"{dist.name} {dist.version}"), False
        known = self._versions(name)
        newest = newest_compatible(known.releases, self._python())
        if newest is None:
            return [], not known.known and self.network and bool(self.indexes)
        index = service(self.ctx)
        for file in sorted(newest.files, key=lambda f: not f.wheel):
            if not file.metadata:
                continue
            extras = index.cached_extras(file)
            if extras is not None:
                return self._extra_items(extras, f"{name} {newest.version}"), False
            if self.network:
                index.schedule(f"metadata:{file.url}", functools.partial(_fetch_extras, index, file))
            return [], True
        return [], False

    def _extra_items(self, extras: Iterable[str], source: str) -> list[Item]:
        return [item(extra, types.CompletionItemKind.EnumMember, f"extra of {source}") for extra in extras]


def _refresh_names(index: IndexService, indexes: tuple[IndexUrl, ...]) -> bool:
    """A project list (PyPI's: ~700,000 names, read once a day): afterwards, hand the memory back."""
    try:
        return index.refresh_names(indexes)
    finally:
        release_memory()


def _fetch_extras(index: IndexService, file: File) -> bool:
    return index.metadata_extras(file) is not None


def _same(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False
