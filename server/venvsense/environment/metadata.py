"""Installed distributions read from their metadata (``*.dist-info``, ``*.egg-info``, ``*.egg-link``): name,
version, requirements, extras, editable installs and the top-level modules each provides (``top_level.txt``,
``RECORD``, ``.pth`` files and editable finders)."""

from __future__ import annotations

import ast
import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from venvsense.text import lazy_pattern


@dataclass(frozen=True)
class Distribution:
    """One installed distribution, from its ``*.dist-info`` / ``*.egg-info`` metadata.

    ``modules`` are the top-level import names it provides (``top_level.txt``, else derived from
    ``RECORD``; for editable installs also from the ``.pth`` / finder mapping). ``requires`` are the raw
    ``Requires-Dist`` strings; ``extras`` the ``Provides-Extra`` names (normalized).
    ``metadata_path`` is the ``.dist-info`` / ``.egg-info`` / ``.egg-link`` path it was read from.
    ``problem`` is set when the metadata was unreadable or incomplete (the distribution is still listed
    when at least a name could be determined).
    """

    name: str
    normalized: str
    version: str
    requires: tuple[str, ...]
    extras: tuple[str, ...]
    modules: tuple[str, ...]
    editable: bool
    metadata_path: Path
    installer: str | None = None
    requested: bool | None = None  # PEP 376 REQUESTED file present (installed by hand vs as a dependency)
    problem: str | None = None


_WANTED_HEADERS = frozenset({"name", "version", "requires-dist", "provides-extra"})
_NOT_IMPORTED = frozenset({"setup", "conftest", "noxfile", "tests", "test", "docs", "doc", "examples",
                           "build", "dist", "benchmarks"})


logger = logging.getLogger("venvsense")

_MB = 1024 * 1024
# The most read from each kind of file in a venv: real ones are far smaller; a larger one (a link to /dev/zero, a
# sparse file) is read only this far, never whole, and a log line names it and what was skipped.
READ_LIMIT = 16 * _MB  # METADATA / PKG-INFO (the headers come first; a long description can be MBs), RECORD
LIMITS = {
    "METADATA": READ_LIMIT, "PKG-INFO": READ_LIMIT, "RECORD": READ_LIMIT,
    "requires.txt": 4 * _MB, "entry_points.txt": 4 * _MB, "top_level.txt": _MB, "INSTALLER": 64 * 1024,
    "direct_url.json": _MB, ".pth": _MB, "finder": 4 * _MB, ".egg-link": 64 * 1024,
}
_SKIPPED = {  # what a cut file loses, for the log line
    "METADATA": "fields after the cut", "PKG-INFO": "fields after the cut", "RECORD": "files listed after the cut",
    "requires.txt": "requirements after the cut", "top_level.txt": "module names after the cut",
    ".pth": "paths after the cut", "entry_points.txt": "groups after the cut",
    "finder": "the whole module (it is not parsed)",
}


def read_bytes(path: Path, limit: int = READ_LIMIT, kind: str | None = None) -> bytes | None:
    """The file's bytes (at most ``limit``, or the limit of ``kind`` in ``LIMITS``), or ``None`` when it cannot be
    read or is not a regular file: a FIFO, a device or a socket under site-packages is never opened for reading
    in a way that could block. A file longer than the limit is cut there, with a log line."""
    if kind is not None:
        limit = LIMITS.get(kind, limit)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        chunks: list[bytes] = []
        left = limit + 1  # one byte more tells a file of exactly ``limit`` bytes from a longer one
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            size = max(os.fstat(descriptor).st_size, len(data))
            skipped = _SKIPPED.get(kind or "", "the rest")
            logger.warning("venvsense: %s is too large (%s bytes): only its first %d MB were read (%s skipped)",
                           path, f"{size:,}" if size > len(data) else f"more than {limit:,}", limit // _MB or 1,
                           skipped)
            return data[:limit]
        return data
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _read_lines(path: Path, kind: str) -> list[str] | None:
    data = read_bytes(path, kind=kind)
    if data is None:
        return None
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()


def parse_metadata_headers(data: bytes) -> tuple[dict[str, list[str]], str | None]:
    """The ``Name``, ``Version``, ``Requires-Dist`` and ``Provides-Extra`` fields of a metadata file.

    Email-header style: stops at the first blank line (the body), unfolds continuation lines. Keys are
    lower-cased. The second value is a sentence when the bytes were not clean UTF-8 text.
    """
    problem = None
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if i >= 0]
    head = data[: min(ends)] if ends else data
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = f"is not valid UTF-8 (byte {error.start})"
        text = head.decode("utf-8", errors="replace")
    if "\x00" in text:
        problem = problem or "contains NUL bytes (it is binary, not text)"
        text = text.replace("\x00", "")
    text = text.removeprefix("\ufeff")
    fields: list[list[str]] = []
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if not line:
            break
        if line[0] in " \t":
            if fields:
                fields[-1][1] += line
            continue
        key, separator, value = line.partition(":")
        if separator:
            fields.append([key.strip().lower(), value])
        else:
            fields.append(["", ""])  # garbage line: a later continuation must not extend a real field
    headers: dict[str, list[str]] = {}
    for key, value in fields:
        if key in _WANTED_HEADERS:
            headers.setdefault(key, []).append(value.strip())
    return headers, problem


def _name_version_from_folder(name: str) -> tuple[str, str]:
    """``foo_bar-1.0.dist-info`` → (``foo_bar``, ``1.0``); ``foo.egg-info`` → (``foo``, ``""``)."""
    stem = name.rsplit(".", 1)[0]
    dist_name, _, rest = stem.partition("-")
    return dist_name, rest.split("-", 1)[0]


def _build(metadata_path: Path, headers: dict[str, list[str]], problem: str | None, metadata_file: str,
           *, requires: list[str] | None = None, extras: list[str] | None = None, modules: Iterable[str] = (),
           editable: bool = False, installer: str | None = None,
           requested: bool | None = None) -> Distribution | str:
    folder_name, folder_version = _name_version_from_folder(metadata_path.name)
    problems = [f"{metadata_file} {problem}"] if problem else []
    name = (headers.get("name") or [""])[0]
    if not name:
        if not folder_name:
            return f"{metadata_file} has no Name field and no name can be recovered"
        problems.append(f"{metadata_file} has no Name field (the name is taken from the folder name)")
        name = folder_name
    version = (headers.get("version") or [""])[0]
    if not version:
        problems.append(f"{metadata_file} has no Version field")
        version = folder_version
    normalized = canonicalize_name(name)
    extra_names = extras if extras is not None else headers.get("provides-extra", [])
    return Distribution(
        name=name,
        normalized=normalized,
        version=version,
        requires=tuple(requires if requires is not None else headers.get("requires-dist", [])),
        extras=tuple(dict.fromkeys(canonicalize_name(e) for e in extra_names if e)),
        modules=tuple(sorted(set(modules))),
        editable=editable,
        metadata_path=metadata_path,
        installer=installer,
        requested=requested,
        problem="; ".join(problems) + "." if problems else None,
    )


def read_dist_info(path: Path, site: Path) -> Distribution | str:
    try:
        present = {entry.name for entry in os.scandir(path)}
    except OSError as error:
        return f"cannot be listed ({error.strerror or error})"
    data = read_bytes(path / "METADATA", kind="METADATA") if "METADATA" in present else None
    if data is None:
        headers: dict[str, list[str]] = {}
        problem: str | None = "is missing or unreadable"
    else:
        headers, problem = parse_metadata_headers(data)
    editable = "direct_url.json" in present and _is_editable(path / "direct_url.json")
    top_level = _read_lines(path / "top_level.txt", "top_level.txt") if "top_level.txt" in present else None
    # the RECORD only when it is needed: for the modules without a top_level.txt, for an editable install's .pth
    # files (most wheels have a top_level.txt: a venv of 228 distributions read 228 RECORDs for 70)
    record = _record_paths(path / "RECORD") if "RECORD" in present and (top_level is None or editable) else []
    modules: set[str] = set()
    if top_level is not None:
        modules.update(_clean_top_level(top_level))
    else:
        modules.update(_modules_from_record(record))
    if editable:
        pth_files = [site / p for p in record if p.endswith(".pth") and "/" not in p.replace("\\", "/")]
        modules.update(_modules_from_pth(pth_files, site))
    installer_lines = _read_lines(path / "INSTALLER", "INSTALLER") if "INSTALLER" in present else None
    installer = installer_lines[0].strip() if installer_lines else None
    return _build(path, headers, problem, "METADATA", modules=modules, editable=editable,
                  installer=installer or None, requested="REQUESTED" in present)


def _clean_top_level(lines: Iterable[str]) -> set[str]:
    names = set()
    for line in lines:
        name = line.strip().replace("\\", "/").split("/")[0]
        if name.isidentifier() and not name.startswith("__editable__"):
            names.add(name)
    return names


def _is_editable(path: Path) -> bool:
    data = read_bytes(path, kind="direct_url.json")
    if data is None:
        return False
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return False
    dir_info = document.get("dir_info") if isinstance(document, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def _record_paths(path: Path) -> list[str]:
    data = read_bytes(path, kind="RECORD")
    if data is None:
        return []
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = text.splitlines()
    import csv  # a RECORD is read only when no disk cache has the venv's listing

    # (without quotes a row's first field is what comes before its first comma, as the fallback below reads it when
    # csv fails on a NUL or an over-long field: split so, at a third of csv's cost)
    if '"' not in text:
        return [line.partition(",")[0] for line in lines if line]
    try:
        return [row[0] for row in csv.reader(lines) if row]
    except csv.Error:
        return [line.split(",", 1)[0] for line in lines if line]


def _module_name(filename: str) -> str | None:
    """``six.py`` → ``six``; ``_cffi_backend.cpython-311-x86_64-linux-gnu.so`` → ``_cffi_backend``."""
    if filename.endswith(".py"):
        stem = filename[:-3]
    elif filename.endswith((".so", ".pyd")):
        stem = filename.split(".", 1)[0]
    else:
        return None
    return stem if stem.isidentifier() and not stem.startswith("__editable__") else None


def _modules_from_record(paths: Iterable[str]) -> set[str]:
    """The top-level import names of the files a wheel installed: ``x.py``, ``x.cpython-….so``, and a folder
    holding Python code (a ``.py``, ``.pyi`` or extension module at any depth) — not a folder of only data or
    scripts (``extras/run.sh``), which nothing imports."""
    modules = set()
    for raw in paths:
        path = raw.replace("\\", "/")
        if not path or path.startswith(("/", "../")) or ":" in path[:3]:
            continue
        top, separator, rest = path.partition("/")
        if separator:
            if top.isidentifier() and top != "__pycache__" and rest.endswith((".py", ".pyi", ".so", ".pyd")):
                modules.add(top)
        else:
            module = _module_name(top)
            if module:
                modules.add(module)
    return modules


def _modules_in_folder(folder: Path) -> set[str]:
    """Top-level packages and modules importable from a folder put on ``sys.path`` by a ``.pth`` line."""
    modules: set[str] = set()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return modules
    for entry in entries:
        name = entry.name
        try:
            if entry.is_dir():
                if (name.isidentifier() and name not in _NOT_IMPORTED
                        and _looks_like_package(Path(entry.path))):
                    modules.add(name)
            else:
                module = _module_name(name)
                if module and module not in _NOT_IMPORTED:
                    modules.add(module)
        except OSError:
            continue
    return modules


def _looks_like_package(folder: Path) -> bool:
    """A regular package (``__init__.py``), or a namespace package holding one; a folder of loose scripts
    (``extras/run.py`` beside the project's package) is not something the distribution provides."""
    try:
        entries = list(os.scandir(folder))
        return any(entry.name == "__init__.py" for entry in entries) or any(
            entry.is_dir() and entry.name.isidentifier() and os.path.isfile(os.path.join(entry.path, "__init__.py"))
            for entry in entries)
    except OSError:
        return False


_IMPORT_LINE = lazy_pattern(r"import\s+([A-Za-z_][\w.]*)")


def _modules_from_pth(pth_files: Iterable[Path], site: Path) -> set[str]:
    """Import names an editable install's ``.pth`` files provide, without running anything.

    A path line puts a folder on ``sys.path``: its packages and modules count. An ``import`` line loads
    a finder module (setuptools' ``__editable___x_finder`` with a ``MAPPING`` dict, or the ``editables``
    redirector with ``map_module`` calls): its source is parsed, never imported.
    """
    modules: set[str] = set()
    for pth in pth_files:
        for line in _read_lines(pth, ".pth") or []:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if text.startswith(("import ", "import\t")):
                for module in _IMPORT_LINE().findall(text):
                    modules.update(_modules_from_finder(site / (module.replace(".", "/") + ".py")))
            else:
                folder = Path(text)
                modules.update(_modules_in_folder(folder if folder.is_absolute() else site / folder))
    return modules


def _modules_from_finder(path: Path) -> set[str]:
    data = read_bytes(path, kind="finder")
    if data is not None and len(data) >= LIMITS["finder"]:
        return set()  # cut: its end is not valid Python
    if data is None:
        return set()
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        value: ast.expr | None = None
        target: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "map_module"):
            names.add(node.args[0].value)
            continue
        if (value is None or not isinstance(target, ast.Name)
                or target.id not in ("MAPPING", "NAMESPACES")):
            continue
        try:
            mapping = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
        if isinstance(mapping, dict):
            names.update(key for key in mapping if isinstance(key, str))
    return {top for top in (name.split(".")[0] for name in names) if top.isidentifier()}


def read_egg_info(path: Path, site: Path, *, editable: bool = False,
                   metadata_path: Path | None = None) -> Distribution | str:
    """An ``.egg-info`` folder (``PKG-INFO``, ``requires.txt``, ``top_level.txt``) or a lone file."""
    shown_path = metadata_path or path
    if path.is_dir():
        data = read_bytes(path / "PKG-INFO", kind="PKG-INFO")
        metadata_file = "PKG-INFO"
        requires_txt = _read_lines(path / "requires.txt", "requires.txt")
        top_level = _read_lines(path / "top_level.txt", "top_level.txt")
    else:
        data = read_bytes(path, kind="PKG-INFO")
        metadata_file = path.name
        requires_txt = top_level = None
        if data is None:
            return "cannot be read"
    if data is None:
        headers: dict[str, list[str]] = {}
        problem: str | None = "is missing or unreadable"
    else:
        headers, problem = parse_metadata_headers(data)
    # pip's rule: requires.txt only counts when PKG-INFO has no Requires-Dist (Provides-Extra) of its own
    requires = headers.get("requires-dist") or _requires_from_requires_txt(requires_txt or [])
    extras = headers.get("provides-extra") or _extras_from_requires_txt(requires_txt or [])
    modules: set[str] = set()
    if top_level is not None:
        modules.update(_clean_top_level(top_level))
    elif editable:
        modules.update(_modules_in_folder(path.parent))
    return _build(shown_path, headers, problem, metadata_file, requires=requires, extras=extras,
                  modules=modules, editable=editable)


def _requires_txt_entries(lines: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    extra = marker = ""
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line.strip("[]").partition(":")
            continue
        yield line, extra, marker


def _requires_from_requires_txt(lines: list[str]) -> list[str]:
    """``requires.txt`` sections (``[extra]``, ``[:marker]``, ``[extra:marker]``) as Requires-Dist strings.

    Written exactly as pip converts them, so ``pip check`` and venvsense read the same requirements.
    """
    requires = []
    for requirement, raw_extra, raw_marker in _requires_txt_entries(lines):
        extra = canonicalize_name(raw_extra)
        if extra and raw_marker:
            marker = f'({raw_marker}) and extra == "{extra}"'
        elif extra:
            marker = f'extra == "{extra}"'
        else:
            marker = raw_marker
        requires.append(f"{requirement} ; {marker}" if marker else requirement)
    return requires


def _extras_from_requires_txt(lines: list[str]) -> list[str]:
    return [e for e in dict.fromkeys(canonicalize_name(x) for _, x, _ in _requires_txt_entries(lines)) if e]


def read_egg_link(path: Path, site: Path) -> Distribution | str:
    """A legacy ``setup.py develop`` install: the link names the project folder holding an ``.egg-info``."""
    lines = [line.strip() for line in _read_lines(path, ".egg-link") or [] if line.strip()]
    if not lines:
        return "is empty or unreadable"
    target = Path(lines[0])
    target = target if target.is_absolute() else site / target
    wanted = canonicalize_name(path.name.removesuffix(".egg-link"))
    try:
        eggs = sorted(p for p in target.iterdir() if p.name.endswith(".egg-info"))
    except OSError:
        return f"points at {target}, which does not exist (the project folder was moved or removed)"
    matching = [p for p in eggs if canonicalize_name(_name_version_from_folder(p.name)[0]) == wanted]
    if not (matching or eggs):
        return f"points at {target}, which holds no .egg-info folder"
    return read_egg_info((matching or eggs)[0], site, editable=True, metadata_path=path)
