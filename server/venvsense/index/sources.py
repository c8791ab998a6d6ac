"""Which package indexes a project uses, the way its installer would find them.

In order of precedence (the first primary index found wins; extra indexes are added after it):

1. the project's requirements files: ``-i/--index-url`` (pip uses the last one) and ``--extra-index-url``;
2. ``pyproject.toml``: ``[[tool.uv.index]]`` entries (in order; one with ``default = true`` replaces PyPI) and
   the older ``[tool.uv] index-url`` / ``extra-index-url``;
3. the environment: ``UV_DEFAULT_INDEX``, ``UV_INDEX_URL``, ``PIP_INDEX_URL`` (primary), ``UV_INDEX``,
   ``UV_EXTRA_INDEX_URL``, ``PIP_EXTRA_INDEX_URL`` (extra; space-separated);
4. the user's and the system's configuration files: uv's ``uv.toml`` (``$UV_CONFIG_FILE``, else
   ``$XDG_CONFIG_HOME/uv/uv.toml``, ``/etc/uv/uv.toml``; skipped with ``UV_NO_CONFIG``) and pip's
   ``pip.conf`` (``$PIP_CONFIG_FILE``, else ``$XDG_CONFIG_HOME/pip/pip.conf``, ``~/.pip/pip.conf``,
   ``/etc/pip.conf``; ``[global]`` ``index-url`` / ``extra-index-url``);
5. PyPI (``https://pypi.org/simple/``).

``--no-index`` (or ``PIP_NO_INDEX`` / ``UV_NO_INDEX``) leaves no index. Every URL is a simple-API base ending in
``/``. A primary index venvsense cannot read (a local folder, ``file://``) is left out without falling back to
PyPI: the project's names are not sent where its installer would not look. URLs may carry credentials
(``https://user:token@host/simple/``): ``redact`` is what may be shown.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from venvsense.declarations import IndexOption

PYPI = "https://pypi.org/simple/"
_TRUE = frozenset({"1", "true", "yes", "on"})

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class IndexUrl:
    """One index: its simple-API base URL and where it was configured (for people: never with credentials)."""

    url: str
    origin: str

    @property
    def shown(self) -> str:
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` without its credentials (``https://***@host/simple/``): what logs and messages may show."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<an invalid URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def normalized_base(url: str) -> str | None:
    """An http(s) index URL with a trailing ``/``; ``None`` for anything else (a local folder, a typo)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class _Found:
    primary: IndexUrl | None
    extra: tuple[IndexUrl, ...]
    no_index: bool = False


def _from_requirements(options: Iterable[IndexOption]) -> _Found:
    primary: IndexUrl | None = None
    extra: list[IndexUrl] = []
    no_index = False
    for option in options:
        where = f"{option.file.name}:{option.range.start.line + 1} {option.option}"
        base = normalized_base(option.value) if option.value else None
        if option.option == "--index-url" and option.value:
            primary = IndexUrl(base or "", where)  # "": an index venvsense cannot read (a folder): not PyPI either
        elif option.option == "--extra-index-url" and base:
            extra.append(IndexUrl(base, where))
        elif option.option == "--no-index":
            no_index = True
    return _Found(primary, tuple(extra), no_index)


def _uv_table(table: Mapping[str, Any], origin: str) -> _Found:
    """``[[index]]`` / ``index-url`` / ``extra-index-url`` of a uv settings table (``[tool.uv]`` or uv.toml)."""
    primary: IndexUrl | None = None
    extra: list[IndexUrl] = []
    entries = table.get("index")
    if isinstance(entries, list):
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("url"), str):
                continue
            base = normalized_base(entry["url"])
            if entry.get("explicit") is True:  # explicit indexes serve only the packages pinned to them
                continue
            name = entry.get("name")
            where = f"{origin} [[index]]" + (f" {name!r}" if isinstance(name, str) else "")
            if entry.get("default") is True:
                primary = IndexUrl(base or "", where)
            elif base is not None:
                extra.append(IndexUrl(base, where))
    url = table.get("index-url")
    if isinstance(url, str) and url.strip() and primary is None:
        primary = IndexUrl(normalized_base(url) or "", f"{origin} index-url")
    urls = table.get("extra-index-url")
    if isinstance(urls, list):
        extra.extend(IndexUrl(b, f"{origin} extra-index-url") for u in urls if isinstance(u, str)
                     and (b := normalized_base(u)))
    return _Found(primary, tuple(extra), table.get("no-index") is True)


def _from_environment(environ: Mapping[str, str]) -> _Found:
    primary: IndexUrl | None = None
    for key in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        value = environ.get(key, "")
        if value.strip():
            primary = IndexUrl(normalized_base(value) or "", f"${key}")
            break
    extra: list[IndexUrl] = []
    for key in ("UV_INDEX", "UV_EXTRA_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        for value in environ.get(key, "").split():
            value = value.partition("=")[2] if "=" in value.split("://", 1)[0] else value  # uv's name=url
            base = normalized_base(value)
            if base:
                extra.append(IndexUrl(base, f"${key}"))
    no_index = any(environ.get(k, "").strip().lower() in _TRUE for k in ("PIP_NO_INDEX", "UV_NO_INDEX"))
    return _Found(primary, tuple(extra), no_index)


def _config_home(environ: Mapping[str, str]) -> Path:
    configured = environ.get("XDG_CONFIG_HOME")
    if configured and os.path.isabs(configured):
        return Path(configured)
    return Path(environ.get("HOME") or os.path.expanduser("~")) / ".config"


def _read_uv_config(environ: Mapping[str, str]) -> _Found:
    if environ.get("UV_NO_CONFIG", "").strip().lower() in _TRUE:
        return _Found(None, ())
    configured = environ.get("UV_CONFIG_FILE")
    candidates = [Path(configured)] if configured else [_config_home(environ) / "uv" / "uv.toml",
                                                         Path("/etc/uv/uv.toml")]
    for path in candidates:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        return _uv_table(data, path.name)
    return _Found(None, ())


def _read_pip_config(environ: Mapping[str, str]) -> _Found:
    configured = environ.get("PIP_CONFIG_FILE")
    if configured is not None:
        if configured == os.devnull or not configured.strip():
            return _Found(None, ())
        candidates = [Path(configured)]
    else:
        home = Path(environ.get("HOME") or os.path.expanduser("~"))
        candidates = [_config_home(environ) / "pip" / "pip.conf", home / ".pip" / "pip.conf",
                      Path("/etc/pip.conf")]
    for path in candidates:
        parser = configparser.RawConfigParser()
        try:
            if not parser.read(path, encoding="utf-8"):
                continue
        except (configparser.Error, UnicodeDecodeError):
            continue
        section = "global" if parser.has_section("global") else "install"
        if not parser.has_section(section):
            continue
        primary = None
        url = parser.get(section, "index-url", fallback=None)
        if url and url.strip():
            primary = IndexUrl(normalized_base(url) or "", f"{path.name} index-url")
        extra = tuple(IndexUrl(b, f"{path.name} extra-index-url")
                      for u in (parser.get(section, "extra-index-url", fallback="") or "").split()
                      if (b := normalized_base(u)))
        no_index = (parser.get(section, "no-index", fallback="") or "").strip().lower() in _TRUE
        return _Found(primary, extra, no_index)
    return _Found(None, ())


def project_indexes(options: Iterable[IndexOption], pyproject: Mapping[str, Any] | None,
                    environ: Mapping[str, str], *, read_config: bool = True) -> tuple[IndexUrl, ...]:
    """The indexes a project's packages come from, primary first, each once; empty with ``--no-index``."""
    tool = pyproject.get("tool") if pyproject is not None else None
    uv = tool.get("uv") if isinstance(tool, Mapping) else None
    layers = [_from_requirements(options),
              _uv_table(uv, "pyproject.toml [tool.uv]") if isinstance(uv, Mapping) else _Found(None, ()),
              _from_environment(environ)]
    if read_config:
        layers.extend((_read_uv_config(environ), _read_pip_config(environ)))
    if any(layer.no_index for layer in layers):
        return ()
    primary = next((layer.primary for layer in layers if layer.primary is not None), IndexUrl(PYPI, "PyPI"))
    seen: dict[str, IndexUrl] = {primary.url: primary}
    for layer in layers:
        for index in layer.extra:
            seen.setdefault(index.url, index)
    return tuple(index for url, index in seen.items() if url)
