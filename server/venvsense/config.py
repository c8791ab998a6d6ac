"""Settings: what a user can change, from ``[tool.venvsense]`` in pyproject.toml, the CLI or the editor.

Keys (pyproject spelling; the editor sends the same names in camelCase, ``SETTING_KEYS`` lists both):

``venv``                 path of the venv to use (relative to the project), instead of discovery
``severity``             table code-or-name → error | warning | information | hint | off
``lower-secondary``      false ⇒ secondary declaration sets (dev/test requirement files, extras, groups)
                         get the same severities as the main ones (default true: one level lower)
``check-imports``        false ⇒ no VS301/VS302/VS303
``check-unused``         false ⇒ no VS303
``requirements``         extra glob patterns (relative to the project) of requirement files
``module-map``           table import name → distribution name (or list of names)
``known-first-party``    list of import names that belong to the project
``ignore``               table code-or-name → list of package (or import) names, ``"*"`` for all
``exclude``              glob patterns of paths (relative to the project) not scanned for imports
``used-without-import``  extra distribution name patterns never reported as unused (VS303)
``lock-extras``          extras the lock's tool installs too (``uv sync --extra X``; ``"*"``: all), for VS402/VS403
``lock-groups``          dependency groups it installs beyond its defaults (``uv sync --group X``; ``"*"``: all)
``scripts``              table; ``venv``: the venv of the PEP 723 scripts uv made none for — one path, or a
                         table script glob (relative to the project) → path (paths relative to the project)
``offline``              true ⇒ never ask a package index (completion and VS210 use cached answers only)
``check-outdated``       true ⇒ VS210: a declaration whose newest compatible version on the index is newer
                         than the installed one (off by default)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any, NamedTuple

from packaging.utils import canonicalize_name

from venvsense.findings import Severity, lookup
from venvsense.tomlfile import TomlFile


class SettingsError(ValueError):
    """A setting with a wrong value; the message names the key."""


@dataclass(frozen=True)
class Settings:
    """A project's settings: ``[tool.venvsense]``, CLI flags and editor settings, merged."""

    venv: Path | None = None
    severity: Mapping[str, Severity] = field(default_factory=dict)
    lower_secondary: bool = True
    check_imports: bool = True
    check_unused: bool = True
    requirement_globs: tuple[str, ...] = ()
    module_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    known_first_party: tuple[str, ...] = ()
    ignore: Mapping[str, frozenset[str]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    used_without_import: tuple[str, ...] = ()
    lock_extras: tuple[str, ...] = ()
    lock_groups: tuple[str, ...] = ()
    # ``scripts.venv``: (script glob, venv path) pairs, first match wins; one path is the glob ``*``
    script_venvs: tuple[tuple[str, Path], ...] = ()
    offline: bool = False
    check_outdated: bool = False
    # set by the shell, never by a project or the editor's settings (not in SETTING_KEYS): the folders whose
    # files are the workspace's own (the project root is always one; the content of any other file is never
    # quoted), and whether the workspace is trusted (untrusted: includes leaving these folders are not read)
    workspace: tuple[Path, ...] = ()
    trusted: bool = True

    def ignores(self, code: str, package: str | None) -> bool:
        names = self.ignore.get(code)
        if not names:
            return False
        return "*" in names or (package is not None and canonicalize_name(package) in names)


class SettingKey(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """One engine setting: its ``Settings`` attribute, its pyproject (kebab-case) and editor (camelCase) keys."""

    attribute: str
    kebab: str
    camel: str


SETTING_KEYS = (
    SettingKey("venv", "venv", "venv"),
    SettingKey("severity", "severity", "severity"),
    SettingKey("lower_secondary", "lower-secondary", "lowerSecondary"),
    SettingKey("check_imports", "check-imports", "checkImports"),
    SettingKey("check_unused", "check-unused", "checkUnused"),
    SettingKey("requirement_globs", "requirements", "requirements"),
    SettingKey("module_map", "module-map", "moduleMap"),
    SettingKey("known_first_party", "known-first-party", "knownFirstParty"),
    SettingKey("ignore", "ignore", "ignore"),
    SettingKey("exclude", "exclude", "exclude"),
    SettingKey("used_without_import", "used-without-import", "usedWithoutImport"),
    SettingKey("lock_extras", "lock-extras", "lockExtras"),
    SettingKey("lock_groups", "lock-groups", "lockGroups"),
    SettingKey("script_venvs", "scripts", "scripts"),
    SettingKey("offline", "offline", "offline"),
    SettingKey("check_outdated", "check-outdated", "checkOutdated"),
)
ENGINE_KEYS = frozenset(key.kebab for key in SETTING_KEYS)
_ATTRS = {key.kebab: key.attribute for key in SETTING_KEYS}


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise SettingsError(f"{key} must be a string or a list of strings")


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{key} must be true or false")
    return value


def _table(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SettingsError(f"{key} must be a table")
    return value


def parse_settings(table: Mapping[str, Any]) -> Settings:
    """Settings from a ``[tool.venvsense]``-shaped mapping; unknown keys are ignored, wrong values raise."""
    settings: dict[str, Any] = {}
    for key, value in table.items():
        normalized = key.replace("_", "-")
        if normalized == "venv":
            if value in (None, ""):
                continue
            if not isinstance(value, str):
                raise SettingsError("venv must be a path")
            settings["venv"] = Path(value)
        elif normalized == "severity":
            severities: dict[str, Severity] = {}
            for code, level in _table(key, value).items():
                try:
                    severities[lookup(code).code] = Severity.parse(str(level))
                except KeyError:
                    raise SettingsError(f"severity: unknown code {code!r}") from None
                except ValueError as error:
                    raise SettingsError(f"severity.{code}: {error}") from None
            settings["severity"] = severities
        elif normalized in ("lower-secondary", "check-imports", "check-unused", "offline", "check-outdated"):
            settings[_ATTRS[normalized]] = _bool(key, value)
        elif normalized in ("requirements", "known-first-party", "exclude", "used-without-import", "lock-extras",
                            "lock-groups"):
            settings[_ATTRS[normalized]] = _strings(key, value)
            if normalized == "requirements":
                for glob in settings[_ATTRS[normalized]]:
                    if glob.startswith(("/", "\\")) or PureWindowsPath(glob).drive or ".." in PurePath(glob).parts:
                        raise SettingsError(f"requirements: {glob!r} must be a pattern relative to the project, "
                                            "inside it (no absolute path, no '..')")
        elif normalized == "module-map":
            settings["module_map"] = {
                str(module): _strings(f"module-map.{module}", dists)
                for module, dists in _table(key, value).items()
            }
        elif normalized == "ignore":
            ignore: dict[str, frozenset[str]] = {}
            for code, names in _table(key, value).items():
                try:
                    code_id = lookup(code).code
                except KeyError:
                    raise SettingsError(f"ignore: unknown code {code!r}") from None
                ignore[code_id] = frozenset(
                    n if n == "*" else canonicalize_name(n) for n in _strings(f"ignore.{code}", names)
                )
            settings["ignore"] = ignore
        elif normalized == "scripts":
            settings["script_venvs"] = _script_venvs(_table(key, value))
    return Settings(**settings)


def _script_venvs(table: Mapping[str, Any]) -> tuple[tuple[str, Path], ...]:
    """``scripts.venv``: one path (every script), or a table glob → path."""
    value = table.get("venv")
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return (("*", Path(value)),)
    if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        return tuple((glob, Path(path)) for glob, path in value.items())
    raise SettingsError("scripts.venv must be a path or a table of script glob → venv path")


def project_settings(pyproject: TomlFile | None) -> tuple[Settings, str | None]:
    """``[tool.venvsense]`` of a project's parsed ``pyproject.toml``, and an error sentence when it could not be
    used (defaults then). Broken TOML gives defaults and no sentence: the pyproject reader reports it."""
    if pyproject is None or pyproject.data is None:
        return Settings(), None
    tool = pyproject.data.get("tool", {})
    table = tool.get("venvsense", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        return Settings(), "[tool.venvsense] must be a table"
    try:
        return parse_settings(table), None
    except SettingsError as error:
        return Settings(), f"[tool.venvsense] {error}"


def overlay(base: Settings, top: Settings) -> Settings:
    """Caller settings (CLI flags, the editor's) over a project's own: a caller value that differs from the
    default wins; the tables (severity, ignore, module map) are merged, the caller's entries winning."""
    default = Settings()
    changes = {}
    for name in Settings.__dataclass_fields__:
        value = getattr(top, name)
        if value != getattr(default, name):
            if name in ("severity", "ignore", "module_map"):
                value = {**getattr(base, name), **value}
            changes[name] = value
    return replace(base, **changes)
