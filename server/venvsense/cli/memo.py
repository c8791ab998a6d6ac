"""The memo of ``venvsense check``: when nothing the last check read has changed, its answer is given again
without starting the engine, as a build system or ruff's cache would.

A memo is one file under the user's cache folder (``<cache>/memo/<digest>.marshal``, see
``imports.diskcache.persistent_cache_dir``; ``VENVSENSE_CACHE_DIR=""`` disables it, and so does
``VENVSENSE_MEMO=0``), written atomically, holding the check's stdout and exit code, its key and the
fingerprint of its inputs:

- the key: everything that decides the output besides the files — the parsed arguments with each path
  resolved, the working folder, the output stream's facts (a terminal or not, its width and encoding, stderr a
  terminal or not), every environment variable but a few volatile ones (``VOLATILE``), the interpreter
  (executable, version, prefixes, ``sys.path``) and venvsense's version;
- the fingerprint: the status (mode, mtime, ctime, size, inode) of every path the check read, learnt while
  it ran: every file it opened and every folder it listed (``sys.addaudithook``, events ``open``,
  ``os.scandir`` and ``os.listdir``), every entry of each listed folder, every path it asked ``os.stat`` or
  ``os.lstat`` about (existence probes: a ``.venv/pyvenv.cfg``, a ``pyproject.toml`` above the root, ``.git``;
  absent paths are recorded absent), and the source of every module the process had imported (venvsense's
  own code, also from an editable checkout, and its dependencies; the standard library is the interpreter's,
  in the key).

A run is memoised only when it may be: its exit code is 0 or 1, it opened nothing for writing outside the
cache folder, no project asked for the package index (``check-outdated``), and none of its inputs was
modified less than two seconds before it started (a file changed within its mtime's granularity could change
again unseen). Files of the cache folder are not inputs: the stage caches there change the speed of a
check, never its answer.

Only ``os``, ``sys`` and ``marshal`` are imported to answer from a memo: a hit does not import the engine.
``VENVSENSE_MEMO_TRACE=1`` reports on stderr what the memo did (``hit``, ``miss: REASON``, ``stored``,
``not stored: REASON``); ``VENVSENSE_MEMO_VERIFY=1`` checks a hit against the engine, which runs anyway, and
fails (exit 2) when they differ. Needs Python 3.11 or newer outside Windows (there, ``pathlib`` and
``os.path`` probe paths through ``os.stat``); elsewhere the memo is off.
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Collection, Mapping
    from typing import Any, TextIO

FORMAT = ("venvsense-check-memo", 1)
# environment variables that change between shells or commands without changing what a check sees
VOLATILE = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "TERM_SESSION_ID", "WINDOWID", "VENVSENSE_MEMO_TRACE",
                      "VENVSENSE_MEMO_VERIFY"})
MAX_MEMOS = 200  # memos kept in the cache folder: the ones used last (``prune``)
# how a path's status is taken and compared: the whole status (following links), the kind of what ``lstat``
# sees (a link: its whole status), the kind only (``.git``: git rewrites it, the check only asks if it is there)
FULL, LINK, KIND = 0, 1, 2
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_EVENTS = frozenset({"open", "os.scandir", "os.listdir"})
_RECORDING: Recorder | None = None
_HOOKED = False


def cache_folder(environ: Mapping[str, str]) -> str | None:
    """The folder of the memo: the user's cache folder (``venvsense.user_cache_folder``, as the scan cache's)."""
    from venvsense import user_cache_folder

    return user_cache_folder(environ)


def status(path: str, how: int) -> tuple[int, ...] | int | None:
    """What the fingerprint holds of ``path``: ``None`` when absent."""
    try:
        found = os.lstat(path) if how == LINK else os.stat(path)
    except (OSError, ValueError):
        return None
    kind = found.st_mode & 0o170000
    if how == KIND or (how == LINK and kind != 0o120000):
        return kind
    return (found.st_mode, found.st_mtime_ns, found.st_ctime_ns, found.st_size, found.st_ino)


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


class Memo:
    """The memo of one ``check`` invocation: its key, its file, and what to report."""

    def __init__(self, folder: str, key: tuple[Any, ...], trace: bool, verify: bool) -> None:
        import zlib

        self.folder = folder
        self.key = key
        data = marshal.dumps(key)
        digest = f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
        self.path = os.path.join(os.path.realpath(folder), "memo", f"{digest}.marshal")
        self.trace = trace
        self.verify = verify

    @classmethod
    def of(cls, args: argparse.Namespace, out: TextIO) -> Memo | None:
        """The memo of ``check`` with ``args`` writing to ``out``; ``None`` when memos are off."""
        environ = os.environ
        folder = cache_folder(environ)
        if folder is None or environ.get("VENVSENSE_MEMO", "1").strip() in ("0", "") \
                or sys.version_info < (3, 11) or sys.platform == "win32":
            return None
        from venvsense import __version__

        options = tuple(sorted((name, repr(value)) for name, value in vars(args).items() if name != "run"))
        paths = tuple(os.path.realpath(path) for path in (args.paths or ["."]))
        venv = os.path.realpath(args.venv) if args.venv else None
        terminal = _isatty(out)
        width = None
        if terminal:
            try:
                width = os.get_terminal_size(out.fileno()).columns
            except (AttributeError, ValueError, OSError):
                width = None
        stream = (terminal, width, getattr(out, "encoding", None), getattr(out, "errors", None),
                  _isatty(sys.stderr))
        variables = tuple(sorted((k, v) for k, v in environ.items() if k not in VOLATILE))
        interpreter = (sys.executable, sys.version, sys.prefix, sys.base_prefix, tuple(sys.path),
                       sys.flags.utf8_mode)
        key = (FORMAT, __version__, options, paths, venv, os.getcwd(), stream, variables, interpreter)
        return cls(folder, key, environ.get("VENVSENSE_MEMO_TRACE", "") not in ("", "0"),
                   environ.get("VENVSENSE_MEMO_VERIFY", "") not in ("", "0"))

    def report(self, what: str) -> None:
        if self.trace:
            print(f"venvsense: memo {what}", file=sys.stderr)

    def lookup(self) -> tuple[str, int] | None:
        """The stored answer (stdout, exit code) when nothing it was made of has changed."""
        try:
            with open(self.path, "rb") as handle:
                stored = marshal.load(handle)
            form, key, text, code, inputs = stored
        except FileNotFoundError:
            self.report("miss: no memo")
            return None
        except (OSError, ValueError, EOFError, TypeError):
            self.report("miss: unreadable memo")
            return None
        if form != FORMAT or key != self.key or not isinstance(text, str) or not isinstance(code, int):
            self.report("miss: another key")
            return None
        for path, how, seen in inputs:
            if status(path, how) != seen:
                self.report(f"miss: {path} changed")
                return None
        self.report("hit")
        try:  # noqa: SIM105 (a hit imports no more than os, sys and marshal)
            os.utime(self.path)  # used now: the last to be pruned (``prune``)
        except OSError:
            pass
        return text, code

    def store(self, text: str, code: int, recorder: Recorder, started_ns: int) -> None:
        """Write the memo of a run that ended with ``code`` after writing ``text``, when it may be reused."""
        why = None if code in (0, 1) else f"exit code {code}"
        inputs: list[tuple[str, int, object]] = []
        if why is None:
            inputs = recorder.inputs()
            why = recorder.impure
        if why is None:
            from venvsense import RACY_NS

            racy = started_ns - RACY_NS
            for path, _, seen in inputs:
                if isinstance(seen, tuple) and seen[1] >= racy:
                    why = f"{path} changed less than 2 s before the check"
                    break
        if why is not None:
            self.report(f"not stored: {why}")
            return
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            record: Any = (FORMAT, self.key, text, code, tuple(inputs))
            with open(temporary, "wb") as handle:
                marshal.dump(record, handle)
            os.replace(temporary, self.path)
        except (OSError, ValueError) as error:
            self.report(f"not stored: {error}")
            return
        self.report(f"stored ({len(inputs):,} inputs)")
        prune(os.path.dirname(self.path))


def prune(folder: str, keep: int = MAX_MEMOS) -> int:
    """Remove all but the ``keep`` memos of ``folder`` used last (by mtime: a hit touches its memo); how many
    were removed. Each distinct argument list, folder and environment has a memo of its own: a CI runner or an
    editor's task runner would otherwise fill the cache folder without end."""
    try:
        with os.scandir(folder) as entries:
            memos = [(entry.stat().st_mtime_ns, entry.path) for entry in entries
                     if entry.name.endswith(".marshal") and entry.is_file(follow_symlinks=False)]
    except OSError:
        return 0
    if len(memos) <= keep:
        return 0
    memos.sort(reverse=True)
    removed = 0
    for _, path in memos[keep:]:
        try:
            os.remove(path)
            removed += 1
        except OSError:
            pass
    return removed


class Recorder:
    """What a check reads, learnt while it runs (``with recorder:``); ``ignored``: the cache folder.

    While it runs, the events are only kept as they come (the hook and the ``os.stat`` wrappers run for every
    file of a cold check); ``inputs`` makes sense of them once it has ended."""

    def __init__(self, ignored: str) -> None:
        self.ignored = tuple({os.path.join(path, "") for path in (os.path.abspath(ignored),
                                                                  os.path.realpath(ignored))})
        self.cwd = os.getcwd()
        self.opened: list[tuple[Any, ...]] = []  # the arguments of the "open" events
        self.listed: list[Any] = []  # the paths of the "os.scandir"/"os.listdir" events
        self.probed: list[tuple[Any, int]] = []  # (path, FULL or LINK) of each os.stat/os.lstat call
        self.impure: str | None = None
        self._stat: Callable[..., Any] = os.stat
        self._lstat: Callable[..., Any] = os.lstat

    def __enter__(self) -> Recorder:
        global _RECORDING, _HOOKED
        if not _HOOKED:
            sys.addaudithook(_hook)  # (for the rest of the process: a hook cannot be removed; it idles)
            _HOOKED = True
        stat, lstat = self._stat, self._lstat
        probe = self.probed.append

        def recorded_stat(path: Any, *args: Any, dir_fd: Any = None, follow_symlinks: bool = True) -> Any:
            if dir_fd is None:
                probe((path, FULL if follow_symlinks else LINK))
            return stat(path, *args, dir_fd=dir_fd, follow_symlinks=follow_symlinks)

        def recorded_lstat(path: Any, *args: Any, dir_fd: Any = None) -> Any:
            if dir_fd is None:
                probe((path, LINK))
            return lstat(path, *args, dir_fd=dir_fd)

        os.stat, os.lstat = recorded_stat, recorded_lstat
        _RECORDING = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _RECORDING
        _RECORDING = None
        os.stat, os.lstat = self._stat, self._lstat

    def absolute(self, path: Any) -> str | None:
        """``path`` as an absolute ``str``; ``None`` for what is not a path (a file descriptor), or a path in the
        cache folder."""
        if type(path) is str:  # (most of them: no fspath)
            name = path
        elif isinstance(path, int):
            return None
        else:
            try:
                name = os.fspath(path)
            except TypeError:
                return None
            if isinstance(name, bytes):
                name = os.fsdecode(name)
        if not name.startswith(os.sep):
            name = os.path.join(self.cwd, name)
        return None if (name + os.sep).startswith(self.ignored) else name

    def inputs(self) -> list[tuple[str, int, object]]:
        """Every input, once, with how to compare it and its status now: the files opened, the folders listed
        and their entries, the paths probed, and the modules imported (not the standard library's: the
        interpreter's). ``impure`` tells of a file opened for writing."""
        found: dict[str, tuple[int, object]] = {}
        for path in _unique(self.listed):
            folder = self.absolute("." if path is None else path)
            if folder is None or folder in found:
                continue
            found[folder] = (FULL, status(folder, FULL))
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        try:
                            if not entry.is_dir(follow_symlinks=False):
                                got = entry.stat()
                                found[entry.path] = (FULL, (got.st_mode, got.st_mtime_ns, got.st_ctime_ns,
                                                            got.st_size, got.st_ino))
                        except OSError:
                            found[entry.path] = (FULL, None)
            except OSError:
                pass
        wanted: dict[str, int] = {}
        absolute = self.absolute
        writes: dict[str, bool] = {}  # mode → whether it writes (a run opens files in a handful of modes)
        for path, mode, flags, *_ in _unique(self.opened):
            name = absolute(path)
            if name is None:
                continue
            if isinstance(mode, str):
                writing = writes.get(mode)
                if writing is None:
                    writing = writes[mode] = any(c in mode for c in "wax+")
            else:
                writing = mode is None and isinstance(flags, int) and bool(flags & _WRITING)
            if writing:
                self.impure = self.impure or f"wrote {name}"
            else:
                wanted[name] = FULL
        for path, how in _unique(self.probed):
            name = absolute(path)
            if name is not None and wanted.get(name) != FULL:
                wanted[name] = KIND if how == FULL and os.path.basename(name) == ".git" else how
        standard = os.path.dirname(os.__file__) + os.sep
        for module in list(sys.modules.values()):
            source = getattr(module, "__file__", None)
            if isinstance(source, str) and (not source.startswith(standard) or "-packages" in source):
                wanted[source] = FULL
        for name, how in wanted.items():
            if name not in found or (how == FULL and found[name][0] != FULL):
                found[name] = (how, status(name, how))
        return sorted((name, how, seen) for name, (how, seen) in found.items()
                      if not (name + os.sep).startswith(self.ignored))


def _unique(items: list[Any]) -> Collection[Any]:
    try:
        return set(items)
    except TypeError:  # (a path object that cannot be hashed)
        return items


def _hook(event: str, args: tuple[Any, ...]) -> None:
    recorder = _RECORDING
    if recorder is None or event not in _EVENTS:
        return
    # the import system's reads (modules, their folders) are not the check's: imported modules are inputs by
    # their source (``Recorder.inputs``)
    if sys._getframe(1).f_code.co_filename.startswith("<frozen "):
        return
    if event == "open":
        recorder.opened.append(args)
    else:
        recorder.listed.append(args[0])


class Tee:
    """``out`` as the check sees it, keeping a copy of what is written."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.out.write(text)

    def text(self) -> str:
        return "".join(self.parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)
