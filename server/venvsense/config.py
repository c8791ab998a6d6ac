"""Settings: what a user can change, from ``[tool.venvsense]`` in pyproject.toml, the CLI or the editor.

Keys (pyproject spelling; the editor uses the same names):

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
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvsense.findings import Severity, lookup

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class SettingsError(ValueError):
    """A setting with a wrong value; the message names the key."""


@dataclass(frozen=True)
class Settings:
    venv: Path | None = None
    severity: Mapping[str, Severity] = field(default_factory=dict)
    lower_secondary: bool = True
    check_imports: bool = True
    check_unused: bool = True
    requirements: tuple[str, ...] = ()
    module_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    known_first_party: tuple[str, ...] = ()
    ignore: Mapping[str, frozenset[str]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    used_without_import: tuple[str, ...] = ()

    def severity_for(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def ignores(self, code: str, package: str | None) -> bool:
        names = self.ignore.get(code)
        if not names:
            return False
        return "*" in names or (package is not None and canonicalize_name(package) in names)


_ATTRS = {
    "venv": "venv", "severity": "severity", "lower-secondary": "lower_secondary",
    "check-imports": "check_imports", "check-unused": "check_unused", "requirements": "requirements",
    "module-map": "module_map", "known-first-party": "known_first_party", "ignore": "ignore",
    "exclude": "exclude", "used-without-import": "used_without_import",
}


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
        elif normalized in ("lower-secondary", "check-imports", "check-unused"):
            settings[_ATTRS[normalized]] = _bool(key, value)
        elif normalized in ("requirements", "known-first-party", "exclude", "used-without-import"):
            settings[_ATTRS[normalized]] = _strings(key, value)
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
    return Settings(**settings)


def read_project_settings(pyproject: Path | None, text: str | None = None) -> tuple[Settings, str | None]:
    """``[tool.venvsense]`` of a project, and an error sentence when it could not be used (defaults then)."""
    if pyproject is None:
        return Settings(), None
    try:
        data = tomllib.loads(text) if text is not None else tomllib.loads(pyproject.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return Settings(), None  # the pyproject reader reports broken TOML as a finding
    tool = data.get("tool", {})
    table = tool.get("venvsense", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        return Settings(), "[tool.venvsense] must be a table"
    try:
        return parse_settings(table), None
    except SettingsError as error:
        return Settings(), f"[tool.venvsense] {error}"
