"""Virtual environments, read statically: discovery, ``pyvenv.cfg``, site-packages, installed distributions.

Nothing here runs the environment's interpreter: everything is read from files.
"""

from __future__ import annotations

import ast
import csv
import functools
import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging import tags
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

Source = Literal["configured", "in-project", "VIRTUAL_ENV"]
IN_PROJECT_NAMES = (".venv", "venv", "env", ".env")


@dataclass(frozen=True)
class PyvenvConfig:
    """The keys of ``pyvenv.cfg`` venvsense uses; ``raw`` holds every key as read (lower-cased keys)."""

    home: str | None
    version: str | None  # "3.11.7" from version / version_info
    include_system_site_packages: bool
    uv: str | None
    prompt: str | None
    raw: dict[str, str]


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


@dataclass(frozen=True)
class Environment:
    """A virtual environment found for a project.

    ``problems`` lists, as sentences, why the venv is unusable (VS104): an unreadable ``pyvenv.cfg``, a
    missing base interpreter (``home``), no site-packages. ``python`` is the full version from
    ``pyvenv.cfg`` when known.
    """

    path: Path
    source: Source
    config: PyvenvConfig | None
    python: str | None
    site_packages: tuple[Path, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        """How messages refer to the venv: its folder name (``.venv``)."""
        return self.path.name


@dataclass(frozen=True)
class Installed:
    """The distributions installed in an environment, by normalized name.

    ``duplicates`` lists normalized names found more than once (two metadata folders for one name):
    ``distributions`` keeps the one with the highest version, as the import system would usually see.
    ``skipped`` lists (path, reason) for metadata that could not be read at all.
    """

    distributions: dict[str, Distribution]
    duplicates: dict[str, tuple[Distribution, ...]] = field(default_factory=dict)
    skipped: tuple[tuple[Path, str], ...] = ()


# --------------------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------------------


def in_project_environments(project_root: Path) -> list[Path]:
    """The project's own venv folders (``.venv``, ``venv``, ``env``, ``.env``) that hold a ``pyvenv.cfg``.

    A folder without ``pyvenv.cfg`` does not count: ``env/`` or ``.env`` are often something else.
    """
    found: list[Path] = []
    for name in IN_PROJECT_NAMES:
        candidate = project_root / name
        try:
            if (candidate / "pyvenv.cfg").is_file():
                found.append(candidate)
        except OSError:
            continue
    return found


def find_environment(project_root: Path, *, configured: Path | None = None,
                     environ: Mapping[str, str] | None = None) -> Environment | None:
    """The environment a project uses: the configured one, else its own venv, else ``$VIRTUAL_ENV``.

    A configured path is taken even when it is broken (it comes back with ``problems``) so that the user
    is told, rather than another environment being picked silently. A relative path is relative to
    ``project_root``; a path to an interpreter inside a venv (``.venv/bin/python``) means that venv.
    ``environ`` defaults to ``os.environ``.
    """
    if configured is not None:
        path = configured if configured.is_absolute() else project_root / configured
        return read_environment(_venv_of_interpreter(path), "configured")
    own = in_project_environments(project_root)
    if own:
        return read_environment(own[0], "in-project")
    variables = os.environ if environ is None else environ
    virtual_env = variables.get("VIRTUAL_ENV", "").strip()
    if virtual_env:
        path = Path(virtual_env)
        return read_environment(path if path.is_absolute() else project_root / path, "VIRTUAL_ENV")
    return None


def _venv_of_interpreter(path: Path) -> Path:
    """``.venv/bin/python`` → ``.venv`` when that folder is a venv; any other path as it is."""
    try:
        if path.is_file() and path.parent.name in ("bin", "Scripts"):
            venv = path.parent.parent
            if (venv / "pyvenv.cfg").is_file():
                return venv
    except OSError:
        pass
    return path


# --------------------------------------------------------------------------------------------------------
# pyvenv.cfg and site-packages
# --------------------------------------------------------------------------------------------------------

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?((?:a|b|rc)\d+)?")


def parse_pyvenv_cfg(text: str) -> PyvenvConfig:
    """Read ``pyvenv.cfg`` the way ``site.py`` does: ``key = value`` lines, anything else ignored."""
    raw: dict[str, str] = {}
    for line in text.splitlines():
        key, separator, value = line.partition("=")
        if not separator:
            continue
        key = key.strip().lower()
        if key:
            raw[key] = value.strip()
    version = None
    for key in ("version", "version_info"):
        match = _VERSION.match(raw.get(key, ""))
        if match:
            major, minor, micro, pre = match.groups()
            version = f"{major}.{minor}" + (f".{micro}" if micro is not None else "") + (pre or "")
            break
    return PyvenvConfig(
        home=raw.get("home") or None,
        version=version,
        include_system_site_packages=raw.get("include-system-site-packages", "").lower() == "true",
        uv=raw.get("uv") or None,
        prompt=raw.get("prompt") or None,
        raw=raw,
    )


def read_environment(path: Path, source: Source) -> Environment:
    """Read a venv folder: ``pyvenv.cfg``, whether its base interpreter still exists, its site-packages.

    Never raises: whatever makes the venv unusable is listed in ``problems`` (VS104).
    """
    problems: list[str] = []
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as error:
        exists = is_dir = False
        problems.append(f"{path} cannot be read ({error.strerror or error}).")
    if not exists:
        if not problems:
            problems.append(f"{path} does not exist.")
        return Environment(path, source, None, None, (), tuple(problems))
    if not is_dir:
        problem = f"{path} is a file, not a virtual environment folder."
        return Environment(path, source, None, None, (), (problem,))

    config = _read_config(path / "pyvenv.cfg", problems)
    if config is not None:
        problems.extend(_home_problems(config))
    python = config.version if config else None
    site_packages = find_site_packages(path, python)
    if not site_packages:
        where = _expected_site_packages(path, python)
        looked = (", ".join(str(p.relative_to(path)) for p in where) if where
                  else "lib/python3.*/site-packages")
        problems.append(f"{path.name} has no site-packages folder (looked for {looked}).")
    return Environment(path, source, config, python, tuple(site_packages), tuple(problems))


def _read_config(cfg: Path, problems: list[str]) -> PyvenvConfig | None:
    try:
        data = cfg.read_bytes()
    except FileNotFoundError:
        problems.append(f"{cfg.parent.name} has no pyvenv.cfg, so it is not a virtual environment "
                        "(or its creation was interrupted).")
        return None
    except OSError as error:
        problems.append(f"pyvenv.cfg cannot be read ({error.strerror or error}).")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.append(f"pyvenv.cfg is not valid UTF-8 (byte {error.start}); Python may fail to start.")
        text = data.decode("utf-8", errors="replace")
    config = parse_pyvenv_cfg(text.removeprefix("\ufeff").replace("\x00", ""))
    if not config.raw:
        problems.append("pyvenv.cfg has no `key = value` lines, so the base interpreter is unknown.")
    elif config.home is None:
        problems.append("pyvenv.cfg has no `home` line, so the base interpreter is unknown.")
    return config


def _home_problems(config: PyvenvConfig) -> list[str]:
    """The base interpreter named by ``home`` must still be there (a removed pyenv version breaks venvs)."""
    if config.home is None:
        return []
    home = Path(config.home)
    version = f" {config.version}" if config.version else ""
    try:
        if not home.is_dir():
            return [f"its base interpreter is gone: pyvenv.cfg `home` is {home}, which no longer exists "
                    f"(was Python{version} uninstalled?); recreate the environment."]
        names = {entry.name.lower() for entry in os.scandir(home)}
    except OSError as error:
        return [f"its base interpreter's folder {home} cannot be read ({error.strerror or error})."]
    if not any(name.startswith("python") or name.startswith("pypy") for name in names):
        return [f"its base interpreter is gone: pyvenv.cfg `home` is {home}, which holds no Python "
                "executable; recreate the environment."]
    return []


def _expected_site_packages(venv: Path, python: str | None) -> list[Path]:
    if python is None:
        return []
    major_minor = ".".join(python.split(".")[:2])
    return [venv / lib / f"python{major_minor}{suffix}" / "site-packages"
            for lib in ("lib", "lib64") for suffix in ("", "t")]


def find_site_packages(venv: Path, python: str | None) -> list[Path]:
    """The venv's site-packages folders that exist (POSIX ``lib[64]/pythonX.Y[t]``, Windows ``Lib``).

    With an unknown version (or none of the expected folders present), ``lib/python3.*`` is searched.
    ``lib64`` is usually a symlink to ``lib``: a folder is listed once.
    """
    candidates = _expected_site_packages(venv, python)
    candidates.append(venv / "Lib" / "site-packages")
    found = _existing_unique(candidates)
    if not any(p.parent.parent.name in ("lib", "lib64") for p in found):
        globbed: list[Path] = []
        for lib in ("lib", "lib64"):
            try:
                globbed.extend(sorted((venv / lib).glob("python3*/site-packages")))
                globbed.extend(sorted((venv / lib).glob("pypy3*/site-packages")))
            except OSError:
                continue
        found = _existing_unique([*found, *globbed])
    return found


def _existing_unique(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for path in paths:
        try:
            if not path.is_dir():
                continue
            stat = path.stat()
        except OSError:
            continue
        key = (stat.st_dev, stat.st_ino)
        if key not in seen:
            seen.add(key)
            found.append(path)
    return found


# --------------------------------------------------------------------------------------------------------
# Installed distributions
# --------------------------------------------------------------------------------------------------------

_WANTED_HEADERS = frozenset({"name", "version", "requires-dist", "provides-extra"})
_NOT_IMPORTED = frozenset({"setup", "conftest", "noxfile", "tests", "test", "docs", "doc", "examples",
                           "build", "dist", "benchmarks"})


@dataclass(frozen=True)
class _DirScan:
    mtime_ns: int
    distributions: tuple[Distribution, ...]
    skipped: tuple[tuple[Path, str], ...]


_lock = threading.Lock()
_dir_cache: dict[Path, _DirScan] = {}
_installed_cache: dict[tuple[Path, ...], tuple[tuple[int, ...], Installed]] = {}
_wheel_tags_cache: dict[Path, frozenset[str] | None] = {}


def clear_cache() -> None:
    """Forget every site-packages scan (the next ``read_installed`` reads all metadata again)."""
    with _lock:
        _dir_cache.clear()
        _installed_cache.clear()
        _wheel_tags_cache.clear()


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def read_installed(environment: Environment) -> Installed:
    """Every distribution installed in the environment's site-packages (not the base interpreter's).

    Results are cached per site-packages folder, keyed on the folder's mtime (an install or uninstall
    adds or removes entries, which changes it): with no folder changed, the same ``Installed`` object is
    returned without reading any metadata. Never raises.
    """
    folders = tuple(environment.site_packages)
    stamps = tuple(_mtime_ns(folder) for folder in folders)
    with _lock:
        cached = _installed_cache.get(folders)
    if cached is not None and cached[0] == stamps:
        return cached[1]
    scans = [_scan_cached(folder, stamp) for folder, stamp in zip(folders, stamps, strict=True)]
    installed = _combine(scans)
    with _lock:
        _installed_cache[folders] = (stamps, installed)
    return installed


def _scan_cached(folder: Path, stamp: int) -> _DirScan:
    with _lock:
        cached = _dir_cache.get(folder)
    if cached is not None and cached.mtime_ns == stamp and stamp != -1:
        return cached
    scan = _scan(folder, stamp)
    with _lock:
        _dir_cache[folder] = scan
        for path in [p for p in _wheel_tags_cache if p.parent == folder]:
            del _wheel_tags_cache[path]
    return scan


def _combine(scans: Iterable[_DirScan]) -> Installed:
    by_name: dict[str, list[Distribution]] = {}
    skipped: list[tuple[Path, str]] = []
    for scan in scans:
        for dist in scan.distributions:
            by_name.setdefault(dist.normalized, []).append(dist)
        skipped.extend(scan.skipped)
    distributions: dict[str, Distribution] = {}
    duplicates: dict[str, tuple[Distribution, ...]] = {}
    for name in sorted(by_name):
        found = by_name[name]
        if len(found) > 1:
            duplicates[name] = tuple(found)
            found = sorted(found, key=lambda d: (d.problem is None, _sortable_version(d.version)),
                           reverse=True)
        distributions[name] = found[0]
    return Installed(distributions, duplicates, tuple(skipped))


def _sortable_version(text: str) -> tuple[int, Version | None]:
    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, None)


def _scan(folder: Path, stamp: int) -> _DirScan:
    distributions: list[Distribution] = []
    skipped: list[tuple[Path, str]] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        return _DirScan(stamp, (), ((folder, f"cannot be listed ({error.strerror or error})"),))
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        try:
            if name.endswith(".dist-info") and entry.is_dir():
                result = _read_dist_info(path, folder)
            elif name.endswith(".egg-info"):
                result = _read_egg_info(path, folder)
            elif name.endswith(".egg-link") and entry.is_file():
                result = _read_egg_link(path, folder)
            else:
                continue
        except Exception as error:  # a reader bug must not hide the rest of the environment
            result = f"could not be read ({type(error).__name__}: {error})"
        if isinstance(result, str):
            skipped.append((path, result))
        else:
            distributions.append(result)
    return _DirScan(stamp, tuple(distributions), tuple(skipped))


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_lines(path: Path) -> list[str] | None:
    data = _read_bytes(path)
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


def _read_dist_info(path: Path, site: Path) -> Distribution | str:
    try:
        present = {entry.name for entry in os.scandir(path)}
    except OSError as error:
        return f"cannot be listed ({error.strerror or error})"
    data = _read_bytes(path / "METADATA") if "METADATA" in present else None
    if data is None:
        headers: dict[str, list[str]] = {}
        problem: str | None = "is missing or unreadable"
    else:
        headers, problem = parse_metadata_headers(data)
    editable = "direct_url.json" in present and _is_editable(path / "direct_url.json")
    record = _record_paths(path / "RECORD") if "RECORD" in present else []
    top_level = _read_lines(path / "top_level.txt") if "top_level.txt" in present else None
    modules: set[str] = set()
    if top_level is not None:
        modules.update(_clean_top_level(top_level))
    else:
        modules.update(_modules_from_record(record))
    if editable:
        pth_files = [site / p for p in record if p.endswith(".pth") and "/" not in p.replace("\\", "/")]
        modules.update(_modules_from_pth(pth_files, site))
    installer_lines = _read_lines(path / "INSTALLER") if "INSTALLER" in present else None
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
    data = _read_bytes(path)
    if data is None:
        return False
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return False
    dir_info = document.get("dir_info") if isinstance(document, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def _record_paths(path: Path) -> list[str]:
    lines = _read_lines(path)
    if lines is None:
        return []
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
    modules = set()
    for raw in paths:
        path = raw.replace("\\", "/")
        if not path or path.startswith(("/", "../")) or ":" in path[:3]:
            continue
        top, separator, _ = path.partition("/")
        if separator:
            if top.isidentifier() and top != "__pycache__":
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
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return False
    return "__init__.py" in names or any(name.endswith(".py") for name in names)


_IMPORT_LINE = re.compile(r"import\s+([A-Za-z_][\w.]*)")


def _modules_from_pth(pth_files: Iterable[Path], site: Path) -> set[str]:
    """Import names an editable install's ``.pth`` files provide, without running anything.

    A path line puts a folder on ``sys.path``: its packages and modules count. An ``import`` line loads
    a finder module (setuptools' ``__editable___x_finder`` with a ``MAPPING`` dict, or the ``editables``
    redirector with ``map_module`` calls): its source is parsed, never imported.
    """
    modules: set[str] = set()
    for pth in pth_files:
        for line in _read_lines(pth) or []:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if text.startswith(("import ", "import\t")):
                for module in _IMPORT_LINE.findall(text):
                    modules.update(_modules_from_finder(site / (module.replace(".", "/") + ".py")))
            else:
                folder = Path(text)
                modules.update(_modules_in_folder(folder if folder.is_absolute() else site / folder))
    return modules


def _modules_from_finder(path: Path) -> set[str]:
    data = _read_bytes(path)
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


def _read_egg_info(path: Path, site: Path, *, editable: bool = False,
                   metadata_path: Path | None = None) -> Distribution | str:
    """An ``.egg-info`` folder (``PKG-INFO``, ``requires.txt``, ``top_level.txt``) or a lone file."""
    shown_path = metadata_path or path
    if path.is_dir():
        data = _read_bytes(path / "PKG-INFO")
        metadata_file = "PKG-INFO"
        requires_txt = _read_lines(path / "requires.txt")
        top_level = _read_lines(path / "top_level.txt")
    else:
        data = _read_bytes(path)
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


def _read_egg_link(path: Path, site: Path) -> Distribution | str:
    """A legacy ``setup.py develop`` install: the link names the project folder holding an ``.egg-info``."""
    lines = [line.strip() for line in _read_lines(path) or [] if line.strip()]
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
    return _read_egg_info((matching or eggs)[0], site, editable=True, metadata_path=path)


# --------------------------------------------------------------------------------------------------------
# pip check
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenDependency:
    """One line of ``pip check``: an installed distribution's requirement that is unmet.

    ``missing`` is true when the required distribution is not installed at all; otherwise the installed
    version (``installed_version``) does not satisfy ``requirement``. ``unsupported`` marks pip's third
    kind of line (the distribution's wheel tags do not match this platform): then ``requirement`` is
    ``""`` and ``installed_version`` is the distribution's own version. ``message`` is pip's wording.
    """

    distribution: str
    version: str
    requirement: str
    missing: bool
    installed_version: str | None
    message: str
    unsupported: bool = False


def marker_environment(python_version: str | None) -> dict[str, str]:
    """PEP 508 marker values for the venv: its Python version, the running platform for the rest."""
    environment = {key: str(value) for key, value in default_environment().items()}
    match = _VERSION.match(python_version or "")
    if match:
        major, minor, micro, pre = match.groups()
        full = f"{major}.{minor}.{micro or 0}{pre or ''}"
        environment["python_version"] = f"{major}.{minor}"
        environment["python_full_version"] = full
        if environment.get("implementation_name") == "cpython":
            environment["implementation_version"] = full
    environment["extra"] = ""
    return environment


def broken_dependencies(installed: Installed, python_version: str | None) -> list[BrokenDependency]:
    """What ``pip check`` run with the venv's interpreter reports, computed from metadata alone.

    Mirrors pip (``operations/check.py``): a requirement counts when it has no marker or its marker is
    true with ``extra == ""`` (so requirements of extras are never checked, even when another
    distribution asks for the extra); specifiers accept pre-releases; a distribution whose requirements
    cannot be parsed is left out of the set, as pip leaves it out. Distributions whose metadata has a
    ``problem`` are left out too (pip cannot read them either). Wheel tags are compared with the tags a
    CPython of ``python_version`` on this platform supports.
    """
    try:
        return _broken_dependencies(installed, python_version)
    except Exception:  # total: a packaging edge case must not break the analysis
        return []


def _broken_dependencies(installed: Installed, python_version: str | None) -> list[BrokenDependency]:
    environment = marker_environment(python_version)
    package_set: dict[str, tuple[Version, list[Requirement], Distribution]] = {}
    for dist in installed.distributions.values():
        if dist.problem is not None:
            continue
        try:
            version = Version(dist.version)
            package_set[dist.normalized] = (version, _dependencies(dist, environment), dist)
        except ValueError:  # InvalidVersion, InvalidRequirement, UndefinedEnvironmentName
            continue
    result: list[BrokenDependency] = []
    conflicts: list[BrokenDependency] = []
    for name, (version, requirements, _dist) in package_set.items():
        wanted: str
        missing: set[tuple[str, str]] = set()
        conflicting: set[tuple[str, str, str]] = set()
        for requirement in requirements:
            wanted = canonicalize_name(requirement.name)
            if wanted not in package_set:
                missing.add((wanted, str(requirement)))
                continue
            have = package_set[wanted][0]
            if not requirement.specifier.contains(have, prereleases=True):
                conflicting.add((wanted, str(have), str(requirement)))
        for wanted, text in sorted(missing, key=lambda m: f"{m[0]}{m[1]}"):
            result.append(BrokenDependency(name, str(version), text, True, None,
                                           f"{name} {version} requires {wanted}, which is not installed."))
        for wanted, have_text, text in sorted(conflicting, key=str):
            conflicts.append(BrokenDependency(
                name, str(version), text, False, have_text,
                f"{name} {version} has requirement {text}, but you have {wanted} {have_text}."))
    result.extend(conflicts)
    supported = _supported_tags(python_version)
    if supported is not None:
        for dist in installed.distributions.values():
            if dist.problem is not None or dist.normalized in ("python", "wsgiref", "argparse"):
                continue
            tags = _wheel_tags(dist)
            if tags is not None and tags.isdisjoint(supported):
                try:
                    shown = str(Version(dist.version))
                except InvalidVersion:
                    continue
                result.append(BrokenDependency(dist.normalized, shown, "", False, shown,
                                               f"{dist.name} {shown} is not supported on this platform",
                                               unsupported=True))
    return result


def _dependencies(dist: Distribution, environment: dict[str, str]) -> list[Requirement]:
    """The requirements pip's ``iter_dependencies()`` yields; raises ``ValueError`` where pip would."""
    requirements = []
    for text in dist.requires:
        requirement = _parse_requirement(text.strip())
        if requirement is None:
            raise ValueError(f"invalid requirement {text!r}")
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirements.append(requirement)
    return requirements


@functools.lru_cache(maxsize=16384)
def _parse_requirement(text: str) -> Requirement | None:
    """Parsing dominates ``broken_dependencies``; the same strings come back on every check."""
    try:
        return Requirement(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=16)
def _supported_tags(python_version: str | None) -> frozenset[str] | None:
    """Tags a CPython of that version accepts on this platform (``None`` when that cannot be known)."""
    if sys.implementation.name != "cpython":
        return None
    match = _VERSION.match(python_version or "")
    version = (int(match.group(1)), int(match.group(2))) if match else sys.version_info[:2]
    interpreter = f"cp{version[0]}{version[1]}"
    found = [*tags.cpython_tags(python_version=version), *tags.compatible_tags(version, interpreter)]
    return frozenset(str(tag) for tag in found)


def _wheel_tags(dist: Distribution) -> frozenset[str] | None:
    """The ``Tag`` lines of a dist-info's ``WHEEL`` file (``None`` when there is none)."""
    path = dist.metadata_path
    if not path.name.endswith(".dist-info"):
        return None
    with _lock:
        if path in _wheel_tags_cache:
            return _wheel_tags_cache[path]
    data = _read_bytes(path / "WHEEL")
    found: frozenset[str] | None = None
    if data is not None:
        values: set[str] = set()
        for line in data.decode("utf-8", errors="replace").splitlines():
            key, separator, value = line.partition(":")
            if separator and key.strip().lower() == "tag":
                try:
                    values.update(str(tag) for tag in tags.parse_tag(value.strip()))
                except (ValueError, IndexError):
                    continue
        found = frozenset(values)
    with _lock:
        _wheel_tags_cache[path] = found
    return found
