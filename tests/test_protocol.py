"""Command and method names are spelled once per language: ``venvsense/protocol.py`` for Python,
``extension/src/common/constants.ts`` for TypeScript; this checks the two agree, that the extension's
``package.json`` contributes exactly these commands, and that no other extension source spells them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from venvsense import protocol

EXTENSION = Path(__file__).resolve().parent.parent / "extension"
CONSTANTS = EXTENSION / "src" / "common" / "constants.ts"


def typescript_constants() -> dict[str, str]:
    return dict(re.findall(r"^export const ([A-Z_]+) = '([^']*)';", CONSTANTS.read_text("utf-8"), re.MULTILINE))


def python_constants() -> dict[str, str]:
    return {name: value for name, value in vars(protocol).items()
            if name.isupper() and isinstance(value, str) and value.startswith("venvsense")}


def test_typescript_names_are_the_python_names() -> None:
    assert typescript_constants() == python_constants()


def test_typescript_process_commands_are_the_python_ones() -> None:
    found = re.search(r"export const PROCESS_COMMANDS: readonly string\[\] = \[([^\]]*)\];",
                      CONSTANTS.read_text("utf-8"))
    assert found is not None
    names = typescript_constants()
    listed = {names[name.strip()] for name in found.group(1).split(",") if name.strip()}
    assert listed == set(protocol.PROCESS_COMMANDS)


def test_package_json_contributes_exactly_the_commands() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text("utf-8"))
    contributed = [entry["command"] for entry in manifest["contributes"]["commands"]]
    assert sorted(contributed) == sorted([*protocol.SERVER_COMMANDS, *protocol.CLIENT_COMMANDS])
    menus = [entry["command"] for entries in manifest["contributes"].get("menus", {}).values() for entry in entries]
    assert set(menus) <= set(contributed)


def test_no_other_extension_source_spells_a_name() -> None:
    names = set(python_constants().values())
    for source in (EXTENSION / "src").rglob("*.ts"):
        if source == CONSTANTS:
            continue
        code = re.sub(r"^\s*(//|/?\*).*$", "", source.read_text("utf-8"), flags=re.MULTILINE)  # not comments
        spelled = set(re.findall(r"""['"`](venvsense[./][A-Za-z]+)['"`]""", code))
        assert not spelled & names, f"{source.relative_to(EXTENSION)} spells {sorted(spelled & names)}"
