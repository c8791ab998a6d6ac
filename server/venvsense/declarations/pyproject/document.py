"""One parsed ``pyproject.toml`` being read: its tables, where each value is, and the manifest the section
readers (``pep621``, ``poetry``, ``uv``) fill with declarations and findings.

Also the PEP 508 entry reader that ``setup.cfg`` shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvsense.declarations import Declaration, Kind, Manifest
from venvsense.declarations.pyproject.positions import Key, PositionMap
from venvsense.findings import Finding, make
from venvsense.text import Range, lazy_pattern

__all__ = ["INVALID", "PyprojectDocument", "dotted", "pep508_declaration", "toml_type"]

INVALID = "VS206"
_NAME_AT_START = lazy_pattern(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def pep508_declaration(
    text: str, file: Path, range_: Range, *, group: str, primary: bool, declaration_set: str
) -> Declaration | Finding:
    """A declaration for one PEP 508 requirement string, or the VS206 finding that says why it is not one."""
    from packaging.requirements import InvalidRequirement, Requirement  # imported on the first one (start-up)

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0] if str(error) else "not a valid requirement"
        guessed = _NAME_AT_START().match(text)
        return make(INVALID, f"invalid requirement {text.strip()!r}: {reason}", file, range_,
                    package=canonicalize_name(guessed.group(1)) if guessed else None,
                    secondary=not primary, declaration_set=declaration_set)
    kind: Kind = "registry"
    if requirement.url is not None:
        kind = "path" if requirement.url.lower().startswith("file:") else "url"
    return Declaration(
        name=requirement.name,
        specifier=str(requirement.specifier),
        extras=tuple(sorted(requirement.extras)),
        marker=str(requirement.marker) if requirement.marker is not None else None,
        kind=kind,
        url=requirement.url,
        file=file,
        range=range_,
        group=group,
        primary=primary,
        declaration_set=declaration_set,
        requirement=text.strip(),
    )


def toml_type(value: object) -> str:
    """What a TOML value is, in words (for messages)."""
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float", list: "an array",
             dict: "a table"}
    return names.get(type(value), "a date or time")


def dotted(key: Key) -> str:
    """A key path as written in TOML (``project.optional-dependencies.test``), array indexes left out."""
    return ".".join(str(part) for part in key if isinstance(part, str))


class PyprojectDocument:
    """The parsed tables of one ``pyproject.toml``, the positions of their values, and the manifest being filled.

    Findings are facts about the file: ``primary=False`` and ``declaration_set`` say which declaration set they
    concern; how severe that makes them is decided elsewhere.
    """

    def __init__(self, path: Path, text: str, data: Mapping[str, Any], manifest: Manifest) -> None:
        self.path = path
        self.data = data
        self.manifest = manifest
        self.positions = PositionMap(text)

    def value_range(self, key: Key) -> Range:
        return self.positions.value_range(key)

    def entry_range(self, key: Key) -> Range:
        return self.positions.entry_range(key)

    def lookup(self, key: Key) -> object:
        """The value at ``key``, ``None`` when there is none."""
        value: object = self.data
        for part in key:
            if isinstance(value, dict) and isinstance(part, str) and part in value:
                value = value[part]
                continue
            if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                value = value[part]
                continue
            return None
        return value

    def table(self, key: Key) -> dict[str, Any] | None:
        """The table at ``key``; ``None`` if absent, or if it is not a table (then with a finding)."""
        value = self.lookup(key)
        if value is None or isinstance(value, dict):
            return value
        self.invalid(f"[{dotted(key)}] must be a table, not {toml_type(value)}", self.value_range(key))
        return None

    def invalid(self, message: str, range_: Range, *, primary: bool = True, package: str | None = None,
                declaration_set: str | None = None) -> None:
        self.manifest.findings.append(make(INVALID, message, self.path, range_, package=package,
                                           secondary=not primary, declaration_set=declaration_set))

    def requirement_strings(self, key: Key, *, group: str, primary: bool,
                            declaration_set: str) -> list[Declaration]:
        """The declarations of an array of PEP 508 strings (findings for what is not one)."""
        value = self.lookup(key)
        if not isinstance(value, list):
            self.invalid(f"{dotted(key)} must be an array of requirement strings, not {toml_type(value)}",
                         self.value_range(key), primary=primary, declaration_set=declaration_set)
            return []
        declarations: list[Declaration] = []
        for index, item in enumerate(value):
            item_range = self.value_range((*key, index))
            if not isinstance(item, str):
                self.invalid(f"entries of {dotted(key)} must be requirement strings, not {toml_type(item)}",
                             item_range, primary=primary, declaration_set=declaration_set)
                continue
            declaration = self.pep508(item, item_range, group=group, primary=primary, declaration_set=declaration_set)
            if declaration is not None:
                declarations.append(declaration)
        return declarations

    def pep508(self, text: str, range_: Range, *, group: str, primary: bool,
               declaration_set: str) -> Declaration | None:
        """The declaration of one PEP 508 string, or ``None`` after adding the finding that says why not."""
        result = pep508_declaration(text, self.path, range_, group=group, primary=primary,
                                    declaration_set=declaration_set)
        if isinstance(result, Finding):
            self.manifest.findings.append(result)
            return None
        return result
