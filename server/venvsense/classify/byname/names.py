"""What one file names: dotted module names in string literals and config values, database and broker URLs,
Django backends that stand for a driver, entry points (``module:attr``), distributions named in ``egg:`` and
command words. Pure functions over bytes or parsed TOML; ``NameFound`` is one name with its 1-based line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple


class NameFound(NamedTuple):
    """A module (``kind == "module"``) or a distribution or command name (``"distribution"``) named on ``line``
    (1-based), and how (``what``: "a dotted name", "a database URL", ...)."""

    kind: str
    name: str
    line: int
    what: str


MODULE, DISTRIBUTION = "module", "distribution"

_IDENTIFIER = r"[A-Za-z_]\w*"
_DOTTED = re.compile(rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})+")
_ENTRY_POINT = re.compile(rf"({_IDENTIFIER}(?:\.{_IDENTIFIER})*):{_IDENTIFIER}(?:\.{_IDENTIFIER})*")
_BARE = re.compile(_IDENTIFIER)
# a string literal without spaces, quotes or backslashes (a name, a dotted path, a URL)
_LITERAL = re.compile(rb"""(["'])([^"'\s\\]{1,300})\1""")
# an entry point written as "name = module.path:attr" (setup.py's entry_points, setup.cfg, .ini values)
_ENTRY_POINT_SPEC = re.compile(rb"""[\w.\-\[\] ]+=\s*(""" + _IDENTIFIER.encode() + rb"""(?:\.\w+)*)\s*:\s*\w""")
# dialect[+driver]://  (SQLAlchemy, dj-database-url, Celery/Kombu brokers, Redis, MongoDB)
_URL = re.compile(rb"(?<![\w+.-])([a-z][a-z0-9]*)(?:\+([a-z0-9_]+))?://")

# The driver a URL scheme loads when it names none (SQLAlchemy's default DBAPI for each dialect; the clients of
# brokers and stores), and the module each named driver is.
_DEFAULT_DRIVERS: Mapping[str, tuple[str, ...]] = {
    "postgresql": ("psycopg2",), "postgres": ("psycopg2",), "postgis": ("psycopg2", "psycopg"),
    "mysql": ("MySQLdb",), "mariadb": ("MySQLdb",), "mssql": ("pyodbc",),
    "oracle": ("cx_Oracle", "oracledb"), "cockroachdb": ("sqlalchemy_cockroachdb", "psycopg2"),
    "redis": ("redis",), "rediss": ("redis",), "amqp": ("amqp",), "amqps": ("amqp",), "pyamqp": ("amqp",),
    "mongodb": ("pymongo",), "librabbitmq": ("librabbitmq",), "snowflake": ("snowflake.sqlalchemy",),
    "clickhouse": ("clickhouse_sqlalchemy",), "bigquery": ("sqlalchemy_bigquery",),
    "duckdb": ("duckdb_engine",), "trino": ("trino",), "redshift": ("sqlalchemy_redshift",),
}
_DRIVER_MODULES: Mapping[str, tuple[str, ...]] = {
    "mysqldb": ("MySQLdb",), "mysqlconnector": ("mysql.connector",), "mariadbconnector": ("mariadb",),
    "cx_oracle": ("cx_Oracle",), "pysqlite": (), "pysqlcipher": ("sqlcipher3",), "srv": ("pymongo",),
    "psycopg2cffi": ("psycopg2cffi",),
}
# Django (and friends) strings that load a library they do not name: a database backend and its driver, cache
# backends and their clients, password hashers.
_IMPLIED: Mapping[str, tuple[str, ...]] = {
    "django.db.backends.postgresql": ("psycopg", "psycopg2"),
    "django.db.backends.postgresql_psycopg2": ("psycopg2",),
    "django.contrib.gis.db.backends.postgis": ("psycopg", "psycopg2"),
    "django.contrib.postgres": ("psycopg", "psycopg2"),
    "django.db.backends.mysql": ("MySQLdb",), "django.contrib.gis.db.backends.mysql": ("MySQLdb",),
    "django.db.backends.oracle": ("oracledb", "cx_Oracle"),
    "django.contrib.gis.db.backends.oracle": ("oracledb", "cx_Oracle"),
    "django.contrib.gis.db.backends.spatialite": (),
    "django.core.cache.backends.redis": ("redis",),
    "django.core.cache.backends.memcached.PyMemcacheCache": ("pymemcache",),
    "django.core.cache.backends.memcached.PyLibMCCache": ("pylibmc",),
    "django.core.cache.backends.memcached.MemcachedCache": ("memcache",),
    "django.contrib.auth.hashers.Argon2PasswordHasher": ("argon2",),
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher": ("bcrypt",),
    "django.contrib.auth.hashers.BCryptPasswordHasher": ("bcrypt",),
    "django.contrib.auth.hashers.ScryptPasswordHasher": (),
    # django-storages backends and the client library each loads
    "storages.backends.s3boto3": ("boto3",), "storages.backends.s3": ("boto3",),
    "storages.backends.gcloud": ("google.cloud.storage",), "storages.backends.azure_storage": ("azure.storage.blob",),
    "storages.backends.dropbox": ("dropbox",), "storages.backends.sftpstorage": ("paramiko",),
    "storages.backends.apache_libcloud": ("libcloud",),
}


def implied_modules(dotted: str) -> tuple[str, ...]:
    """What a Django string or module loads without naming it (``django.db.backends.postgresql`` → psycopg)."""
    for prefix, modules in _IMPLIED.items():
        if dotted == prefix or dotted.startswith(prefix + "."):
            return modules
    return ()


def implying_prefixes(modules: Iterable[str]) -> tuple[str, ...]:
    """The ``_IMPLIED`` prefixes that load one of ``modules`` (compared by top-level name)."""
    tops = {module.partition(".")[0] for module in modules}
    return tuple(prefix for prefix, implied in _IMPLIED.items()
                 if any(module.partition(".")[0] in tops for module in implied))


def python_needles(modules: Iterable[str]) -> tuple[bytes, ...]:
    """What a Python file's bytes must hold to name one of ``modules``: a module's top-level name, or the
    Django string, URL scheme (``postgresql://``) or driver (``+mysqldb``) that stands for it."""
    tops = {module.partition(".")[0] for module in modules}  # by top-level name: `google` or `google.cloud.x`

    def wanted(implied: Iterable[str]) -> bool:
        return any(module.partition(".")[0] in tops for module in implied)

    found = {top.encode("utf-8") for top in tops}
    found.update(prefix.encode() for prefix in implying_prefixes(tops))
    found.update(f"{scheme}://".encode() for scheme, implied in _DEFAULT_DRIVERS.items() if wanted(implied))
    found.update(f"+{driver}".encode() for driver, implied in _DRIVER_MODULES.items() if wanted(implied))
    return tuple(sorted(found))


def url_modules(scheme: str, driver: str | None) -> tuple[str, ...]:
    """The modules a ``scheme[+driver]://`` URL loads: the named driver's module, else the scheme's default."""
    if driver:
        return _DRIVER_MODULES.get(driver, (driver,))
    return _DEFAULT_DRIVERS.get(scheme, ())


class _LineCounter:
    """Line numbers of increasing offsets in ``data`` without counting from the start each time."""

    __slots__ = ("data", "line", "offset")

    def __init__(self, data: bytes) -> None:
        self.data, self.line, self.offset = data, 1, 0

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.line, self.offset = 1, 0
        self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line


def dotted_string(text: str, line: int, loose: bool, what: str) -> Iterator[NameFound]:
    """The names one string value holds: a URL's driver, ``module:attr``, a dotted module path (and what a
    Django backend string implies), and with ``loose`` a bare identifier (``INSTALLED_APPS = ["corsheaders"]``)."""
    if "://" in text:
        match = _URL.search(text.encode("ascii", "replace"))
        if match is not None:
            scheme, driver = match.group(1).decode(), match.group(2).decode() if match.group(2) else None
            for module in url_modules(scheme, driver):
                yield NameFound(MODULE, module, line, "a URL's driver")
        return
    if text.startswith("egg:"):
        name = re.split(r"[#\[]", text[4:], maxsplit=1)[0].strip()
        if name:
            yield NameFound(DISTRIBUTION, name, line, "an egg: reference")
        return
    entry = _ENTRY_POINT.fullmatch(text.removeprefix("call:"))
    if entry is not None:
        yield NameFound(MODULE, entry.group(1), line, "an entry point")
        return
    if _DOTTED.fullmatch(text):
        yield NameFound(MODULE, text, line, what)
        for module in implied_modules(text):
            yield NameFound(MODULE, module, line, f"{text} loads it")
    elif loose and _BARE.fullmatch(text):
        yield NameFound(MODULE, text, line, what)


def python_names(data: bytes, loose: bool) -> list[NameFound]:
    """The names in a Python file's short string literals (``loose``: bare identifiers too, for settings)."""
    found: list[NameFound] = []
    lines = _LineCounter(data)
    for match in _LITERAL.finditer(data):
        text = match.group(2).decode("utf-8", "replace")
        if "." in text or ":" in text or loose:
            found.extend(dotted_string(text, lines.at(match.start()), loose, "a name in a string"))
    return found


def entry_point_names(data: bytes) -> list[NameFound]:
    """The modules of ``name = module:attr`` entry points written in ``setup.py`` or a ``.cfg``/``.ini``."""
    lines = _LineCounter(data)
    return [NameFound(MODULE, match.group(1).decode("utf-8", "replace"), lines.at(match.start()), "an entry point")
            for match in _ENTRY_POINT_SPEC.finditer(data)]


def url_names(data: bytes) -> list[NameFound]:
    """The drivers of the ``scheme[+driver]://`` URLs anywhere in ``data`` (an ``.env``, an ``.ini``)."""
    lines = _LineCounter(data)
    found: list[NameFound] = []
    for match in _URL.finditer(data):
        scheme, driver = match.group(1).decode(), match.group(2).decode() if match.group(2) else None
        found.extend(NameFound(MODULE, module, lines.at(match.start()), "a URL's driver")
                     for module in url_modules(scheme, driver))
    return found


# ini values that list distributions to install (tox `deps`), not names the project uses
INSTALL_KEYS = re.compile(r"deps|requires|install|dependencies|extras|requirements", re.IGNORECASE)
_INI_LINE = re.compile(r"^\s*(?:([\w.\-:]+)\s*[=:]\s*)?(.*?)\s*$")


def ini_names(text: str) -> list[NameFound]:
    """The names in an ``.ini``/``.cfg`` file's values (paste deploy ``use = egg:Dist#main``, ``module:factory``,
    dotted paths, URLs), skipping values that list what to install."""
    found: list[NameFound] = []
    skipping = section_skips = False
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;[":
            if stripped.startswith("["):  # [options.extras_require]: every value lists what to install
                section_skips = bool(INSTALL_KEYS.search(stripped))
                skipping = section_skips
            continue
        continued = raw[:1].isspace()
        match = _INI_LINE.match(raw)
        if match is None:
            continue
        key, value = match.group(1), match.group(2)
        if key is not None and not continued:
            skipping = section_skips or bool(INSTALL_KEYS.search(key))
        elif not continued:
            value = stripped
        if skipping:
            continue
        for word in re.split(r"[\s,]+", value):
            word = word.strip("\"'")
            if word and ("." in word or ":" in word):
                found.extend(dotted_string(word, number, False, "a name in a config file"))
    return found


def toml_strings(value: Any, skip: re.Pattern[str] = INSTALL_KEYS) -> Iterator[str]:
    """Every string inside a parsed TOML value, without the values of keys that list what to install."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not skip.search(str(key)):
                yield from toml_strings(item, skip)
    elif isinstance(value, list):
        for item in value:
            yield from toml_strings(item, skip)


def first(values: Iterable[NameFound]) -> dict[tuple[str, str], NameFound]:
    """The first place each (kind, name) is named."""
    out: dict[tuple[str, str], NameFound] = {}
    for value in values:
        out.setdefault((value.kind, value.name), value)
    return out


_YAML_KEY = re.compile(r"^([A-Za-z_]\w*):\s*(.*?)\s*$")
_YAML_ITEM = re.compile(r"^(\s*)-\s+([A-Za-z_][\w.]*)\s*:?\s*(?:#.*)?$")
_YAML_NAME = re.compile(r"^\s+name:\s*['\"]?([A-Za-z_][\w.\-]*)['\"]?\s*$")


def mkdocs_names(text: str) -> list[NameFound]:
    """The modules an ``mkdocs.yml`` loads by name: its ``markdown_extensions`` (``pymdownx.highlight``,
    ``mkautodoc``), ``plugins`` and theme (``theme: name: material``), read line by line."""
    found: list[NameFound] = []
    section = ""
    indent: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        top = _YAML_KEY.match(line)
        if top is not None:
            section, indent = top.group(1), None
            if section == "theme" and top.group(2):
                found.append(NameFound(MODULE, top.group(2).strip("'\""), number, "the mkdocs theme"))
            continue
        if section in {"markdown_extensions", "plugins"}:
            item = _YAML_ITEM.match(line)
            if item is not None and (indent is None or len(item.group(1)) == indent):
                indent = len(item.group(1))
                found.append(NameFound(MODULE, item.group(2), number, f"mkdocs {section}"))
        elif section == "theme":
            name = _YAML_NAME.match(line)
            if name is not None:
                found.append(NameFound(MODULE, name.group(1).replace("-", "_"), number, "the mkdocs theme"))
    return found
