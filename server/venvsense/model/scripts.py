"""PEP 723 scripts: each ``.py`` file of a project with a ``# /// script`` block is a scope of its own — its
block is its declaration set (``declarations.script``), its environment is its own (``environment.discovery.
find_script_environment``: uv's, the ``scripts.venv`` setting's, ``.venvs/<name>``), and its imports are judged
against those, not against the project's (``rules.scripts``).

Which files are scripts is read from the files the import scan walked (so only when import checks are on): the
scan found ``# /// script`` while the file's bytes were at hand (``imports.cache.known_script_text``; the CLI's
on-disk cache keeps it, so a warm run reads no file for it, not even a script). A file the scan cache does not
know (another version than its scan) is searched once per version — the answer kept with the file's
``ScanResult`` (the scan cache hands out the same object while the file is unchanged). An editor buffer is read
from the buffer.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from venvsense.caches import MemoryCache
from venvsense.config import Settings
from venvsense.declarations import Manifest
from venvsense.declarations.script import has_block, read_script, script_block_range
from venvsense.environment import SCRIPT_VENVS, Environment, Installed, find_script_environment, read_installed
from venvsense.environment.uvcache import script_environment_path
from venvsense.imports import ScanResult
from venvsense.imports.cache import MAX_SCRIPT_BYTES, SCRIPT_MARKER, known_script_text
from venvsense.text import START, Range, UnreadableFile, decode_text, read_capped

MARKER_BYTES = SCRIPT_MARKER
_MAX_BYTES = MAX_SCRIPT_BYTES  # a larger file is no script anyone runs with uv (and is not read twice)


@dataclass(frozen=True)
class ScriptScope:
    """One PEP 723 script: its file, its declaration set (``Manifest``: the block's ``dependencies`` and
    ``requires-python`` at their places), the range of its ``# /// script`` line (where findings about the
    script as a whole go), its environment and what is installed there (``None`` without one)."""

    path: Path
    manifest: Manifest
    opening: Range
    environment: Environment | None
    installed: Installed | None

    @property
    def name(self) -> str:
        return self.path.name

    def environment_folders(self, environ: Mapping[str, str]) -> list[Path]:
        """Its environment's folder, or — without one — the folders where one would appear (uv's for it, and
        ``.venvs/<name>`` beside it): what the language server watches to see one made in a terminal."""
        if self.environment is not None:
            return [self.environment.path]
        return [script_environment_path(self.path, environ), self.path.parent / SCRIPT_VENVS / self.path.stem]


_texts: MemoryCache[Path, tuple[ScanResult, str | None]] = MemoryCache(
    name="model.scripts.texts",
    key="a .py file's path; the entry holds the ScanResult it was read with",
    invalidation="used only while the scan cache hands out the same ScanResult (the file is unchanged)",
    owner="the process: a re-check reads no unchanged file for its script block", limit=1 << 16)


def _script_text(path: Path, scan: ScanResult) -> str | None:
    """The text of ``path`` when it holds ``# /// script``, else ``None`` — read once per version of the file (not
    at all when its scan saw it)."""
    known, found = known_script_text(os.fspath(path), scan)
    if known:
        return found
    cached = _texts.get(path)
    if cached is not None and cached[0] is scan:
        return cached[1]
    text: str | None = None
    try:
        with open(path, "rb") as handle:
            data = read_capped(handle, os.fstat(handle.fileno()).st_size, _MAX_BYTES)
        if MARKER_BYTES in data and len(data) <= _MAX_BYTES:
            text = decode_text(path, data)
    except (OSError, UnreadableFile):
        text = None
    _texts.put(path, (scan, text))
    return text


def script_venv_setting(settings: Settings, root: Path, script: Path) -> Path | None:
    """The venv ``scripts.venv`` names for ``script`` (first matching glob, relative to the project), if any."""
    try:
        relative = script.relative_to(root).as_posix()
    except ValueError:
        relative = script.name
    for glob, venv in settings.script_venvs:
        if glob in ("*", "**") or fnmatch.fnmatchcase(relative, glob) or fnmatch.fnmatchcase(script.name, glob):
            return venv if venv.is_absolute() else root / venv
    return None


_listed: MemoryCache[Path, tuple[Mapping[Path, ScanResult], tuple[Path, ...]]] = MemoryCache(
    name="model.scripts.listed",
    key="a project root; the entry holds the scans (the dict) the script files were found in",
    invalidation="used only for the very same dict of scans (a re-check reusing the last classification)",
    owner="the process: a block's keystroke looks at the scripts, not at every file", limit=16)


def _candidates(root: Path, scanned: Mapping[Path, ScanResult], buffers: Mapping[Path, str]) -> list[Path]:
    """The files that may be scripts, in path order: those of the last look at the same scans (a keystroke's
    re-check reuses them) or every ``.py`` file scanned; and the editor buffers, read from the buffer."""
    cached = _listed.get(root)
    if cached is not None and cached[0] is scanned:
        paths = set(cached[1])
    else:
        paths = set()
        fspath = os.fspath
        for path, scan in scanned.items():  # one lookup per file, no path arithmetic, no file read
            known, text = known_script_text(fspath(path), scan)
            if known:
                if text is not None:
                    paths.add(path)
            elif path.suffix == ".py" and _script_text(path, scan) is not None:
                paths.add(path)
        _listed.put(root, (scanned, tuple(paths)))
    paths.update(path for path in buffers if path in scanned)
    return sorted(paths)


def read_scripts(root: Path, scanned: Mapping[Path, ScanResult], settings: Settings,
                 buffers: Mapping[Path, str], environ: Mapping[str, str]) -> list[ScriptScope]:
    """The project's PEP 723 scripts among the files the import scan read (``scanned``), in path order."""
    found: list[ScriptScope] = []
    for path in _candidates(root, scanned, buffers):
        buffer = buffers.get(path)
        text = (buffer if has_block(buffer) else None) if buffer is not None else _script_text(path, scanned[path])
        if text is None:
            continue
        manifest = read_script(path, text)
        if manifest is None:
            continue
        environment = find_script_environment(path, configured=script_venv_setting(settings, root, path),
                                              environ=environ)
        installed = read_installed(environment) if environment is not None and not environment.problems else None
        found.append(ScriptScope(path, manifest, script_block_range(text) or START, environment, installed))
    return found


def is_script_text(text: str) -> bool:
    """Whether an editor buffer may be a script (holds the block's opening marker)."""
    return has_block(text)


__all__ = ["ScriptScope", "is_script_text", "read_scripts", "script_venv_setting"]
