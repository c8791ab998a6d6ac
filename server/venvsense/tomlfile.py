"""A TOML file read and parsed once: the text (an editor buffer or the file's), the parsed tables, or why not.

The project model parses a project's ``pyproject.toml`` once per check and hands this object to everyone who
needs it (settings, the declarations reader, first-party detection, planning). Never raises.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venvsense.text import UnreadableFile, read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class TomlFile:
    """``text`` is ``None`` when the file could not be read (``unreadable`` says why); ``data`` is ``None``
    when it could not be read or parsed (``error`` is the parser's exception)."""

    path: Path
    text: str | None
    data: Mapping[str, Any] | None
    error: Exception | None = None
    unreadable: str | None = None

    def table(self, *keys: str) -> Mapping[str, Any]:
        """The table at ``keys`` (``table("tool", "venvsense")``), empty when absent or not a table."""
        value: Any = self.data or {}
        for key in keys:
            if not isinstance(value, Mapping):
                return {}
            value = value.get(key, {})
        return value if isinstance(value, Mapping) else {}


def read_toml(path: Path, text: str | None = None) -> TomlFile:
    """Parse ``text`` (an unsaved buffer) or the file at ``path``."""
    if text is None:
        try:
            text = read_text(path)
        except UnreadableFile as error:
            return TomlFile(path, None, None, unreadable=error.reason)
    try:
        data = tomllib.loads(text)
    except RecursionError as error:  # arrays or tables nested thousands deep
        return TomlFile(path, text, None, error)
    except ValueError as error:  # TOMLDecodeError, and int() refusing a number with thousands of digits
        return TomlFile(path, text, None, error)
    return TomlFile(path, text, data)
