"""The standard tables of ``pyproject.toml``: PEP 621 ``[project]`` (``requires-python``, ``dependencies``,
``optional-dependencies``) and PEP 735 ``[dependency-groups]`` with their includes resolved."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvsense.declarations import MAIN, Declaration
from venvsense.declarations.pyproject.document import PyprojectDocument, toml_type
from venvsense.declarations.pyproject.dynamic import read_dynamic
from venvsense.declarations.pyproject.positions import Key
from venvsense.text import Range

__all__ = ["read_dependency_groups", "read_project", "set_requires_python"]

# A group's entry before includes are resolved: a declaration, or the name of an included group and where.
_GroupItem = Declaration | tuple[str, Range]


def read_project(document: PyprojectDocument, project: dict[str, Any]) -> None:
    """``[project]``: its name, requires-python, the main dependencies, the extras, the dynamic fields."""
    if isinstance(project.get("name"), str):
        document.manifest.project_name = project["name"].strip()
    if "requires-python" in project:
        key: Key = ("project", "requires-python")
        set_requires_python(document, project["requires-python"], key, "requires-python")
    if "dependencies" in project:
        document.manifest.declarations += document.requirement_strings(
            ("project", "dependencies"), group=MAIN, primary=True, declaration_set=document.path.name)
    extras = document.table(("project", "optional-dependencies"))
    for extra in extras or {}:
        document.manifest.declarations += document.requirement_strings(
            ("project", "optional-dependencies", extra), group=extra, primary=False,
            declaration_set=f"extra '{extra}'")
    read_dynamic(document, project)



def set_requires_python(document: PyprojectDocument, value: object, key: Key, what: str) -> None:
    """Record ``value`` as the project's requires-python when it is a valid specifier (else a finding)."""
    range_ = document.value_range(key)
    if not isinstance(value, str):
        document.invalid(f"{what} must be a string, not {toml_type(value)}", range_)
        return
    try:
        SpecifierSet(value)
    except InvalidSpecifier as error:
        document.invalid(f"invalid {what} {value!r}: {error}", range_)
        return
    document.manifest.requires_python = (value.strip(), document.path, range_)



def read_dependency_groups(document: PyprojectDocument) -> None:
    """``[dependency-groups]``: each group with the entries of the groups it includes (PEP 735)."""
    groups = document.table(("dependency-groups",))
    if not groups:
        return
    from dependency_groups import DependencyGroupResolver  # only with groups (it imports packaging's parser)

    try:
        # The library's own check of the table (duplicate names after normalization); resolution is
        # ours below, because the library stops at the first problem and keeps no source positions.
        DependencyGroupResolver(groups)
    except (TypeError, ValueError) as error:
        seen: set[str] = set()
        for name in groups:
            if canonicalize_name(name) in seen:
                document.invalid(str(error), document.entry_range(("dependency-groups", name)), primary=False)
            seen.add(canonicalize_name(name))

    own: dict[str, list[_GroupItem]] = {}  # normalized name → entries / includes
    written: dict[str, str] = {}
    for name, items in groups.items():
        normalized = canonicalize_name(name)
        if normalized in own:
            continue
        written[normalized] = name
        own[normalized] = _group_items(document, name, items)

    resolved: dict[str, list[Declaration]] = {}
    reported: set[Range] = set()

    def expand(group: str, stack: tuple[str, ...]) -> list[Declaration]:
        if group in resolved:
            return resolved[group]
        result: list[Declaration] = []
        for item in own[group]:
            if isinstance(item, Declaration):
                result.append(item)
                continue
            target_written, at = item
            target = canonicalize_name(target_written)
            where = f"group '{written[group]}'"
            if target not in own:
                message = (f"dependency group '{written[group]}' includes '{target_written}', which is "
                           f"not a group of [dependency-groups]")
            elif target in stack:
                cycle = " -> ".join(written[g] for g in (*stack[stack.index(target):], target))
                message = f"dependency group '{written[group]}' is part of an include cycle: {cycle}"
            elif len(stack) > 100:
                message = f"dependency group '{written[group]}' nests includes too deeply"
            else:
                result += expand(target, (*stack, target))
                continue
            if at not in reported:
                reported.add(at)
                document.invalid(message, at, primary=False, declaration_set=where)
        unique = list({d.range: d for d in result}.values())
        resolved[group] = unique
        return unique

    for group, name in written.items():
        for declaration in expand(group, (group,)):
            document.manifest.declarations.append(
                replace(declaration, group=name, declaration_set=f"group '{name}'"))



def _group_items(document: PyprojectDocument, name: str, items: object) -> list[_GroupItem]:
    key: Key = ("dependency-groups", name)
    declaration_set = f"group '{name}'"
    if not isinstance(items, list):
        document.invalid(f"dependency group '{name}' must be an array, not {toml_type(items)}",
                         document.value_range(key), primary=False, declaration_set=declaration_set)
        return []
    result: list[_GroupItem] = []
    for index, item in enumerate(items):
        item_range = document.value_range((*key, index))
        if isinstance(item, str):
            declaration = document.pep508(item, item_range, group=name, primary=False,
                                          declaration_set=declaration_set)
            if declaration is not None:
                result.append(declaration)
        elif isinstance(item, dict) and list(item) == ["include-group"] and isinstance(
                item["include-group"], str):
            result.append((item["include-group"], item_range))
        else:
            document.invalid(f"entries of dependency group '{name}' must be requirement strings or "
                             f"{{include-group = \"name\"}} tables, not {toml_type(item)}"
                             + (f" with keys {', '.join(item)}" if isinstance(item, dict) else ""),
                             item_range, primary=False, declaration_set=declaration_set)
    return result
