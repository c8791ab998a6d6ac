"""``yaml_names`` finds the lines that may hold a ``run:``/``entry:``/``id:`` key in the whole text at once; it
must say exactly what reading every line says (the line-by-line reading is kept here as the reference), with
every kind of line break, block and indentation."""

from __future__ import annotations

import random

from venvsense.classify.byname.commands import _COMMAND_WORD, _RUN_KEY, command_names, yaml_names
from venvsense.classify.byname.names import DISTRIBUTION, MODULE, NameFound


def _reference(text: str, what: str) -> list[NameFound]:
    found: list[NameFound] = []
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        match = _RUN_KEY.match(lines[number])
        number += 1
        if match is None:
            continue
        indent, key, value = len(match.group(1)), match.group(2), match.group(3).strip("\"'")
        if key == "language":
            continue
        if key == "id":
            if what == "a pre-commit hook" and _COMMAND_WORD.fullmatch(value):
                found.append(NameFound(DISTRIBUTION, value, number, what))
            continue
        if value and value[0] not in "|>":
            found.extend(command_names(value, number, what))
            continue
        while number < len(lines) and (not lines[number].strip() or
                                       len(lines[number]) - len(lines[number].lstrip()) > indent):
            found.extend(command_names(lines[number].strip(), number + 1, what))
            number += 1
    return found


WORKFLOW = """name: ci
on: [push]
jobs:
  test:
    steps:
      - uses: actions/checkout@v4
      - run: uv run pytest -x
      - name: lint
        run: |
          ruff check .
          mypy src

          python -m build
        env:
          run: not-a-step
      -   run: >
            tox -e py
      - id: black
        entry: black --check
        language: python
      run:   "coverage run -m pytest"
"""

PARTS = ["      - run: uv run pytest\n", "        run: |\n", "          ruff check .\n", "\n", "  \n",
         "          python -m build\n", "      - id: black\n", "        entry: flake8 --max-line-length 99\n",
         "        language: system\n", "\trun: make test\n", "# run: commented\n", "runner: x\n",
         "      - name: x\n", "\u00a0run: nbsp-indented\n", "run:\n", "  id: isort\n", "   -\trun: tabbed\n"]


def test_the_same_names_as_reading_every_line() -> None:
    for what in ("a workflow step", "a pre-commit hook"):
        assert yaml_names(WORKFLOW, what) == _reference(WORKFLOW, what)
        assert yaml_names(WORKFLOW, what)  # the reference finds something to compare
    generator = random.Random(723)
    for _ in range(400):
        text = "".join(generator.choice(PARTS) for _ in range(generator.randrange(1, 30)))
        for newline in ("\n", "\r\n", "\r", "\x0c\n", "\u2028"):
            variant = text.replace("\n", newline) if newline != "\x0c\n" else text.replace("\n", newline, 1)
            for what in ("a workflow step", "a pre-commit hook"):
                assert yaml_names(variant, what) == _reference(variant, what), (variant, what)


def test_block_lines_and_steps_are_numbered_as_in_the_file() -> None:
    found = yaml_names(WORKFLOW, "a workflow step")
    # (a `run:` key anywhere is read as a step, as the line-by-line reading always did)
    assert [(item.kind, item.name, item.line) for item in found] == [
        (DISTRIBUTION, "pytest", 7), (DISTRIBUTION, "ruff", 10), (DISTRIBUTION, "mypy", 11), (MODULE, "build", 13),
        (DISTRIBUTION, "not-a-step", 15), (DISTRIBUTION, "tox", 17), (DISTRIBUTION, "black", 19),
        (DISTRIBUTION, "coverage", 21), (MODULE, "pytest", 21)]


# keys inside words, two keys on a line, a key at the text's very start or end, a dash not followed by a space,
# other spaces before the key: each line is kept or not exactly as the anchored expression of the reference does
TRICKY = ["grid: x\n", "  rerun: pytest\n", "  xid: flake8\n", "  run: id: black\n", "- id: run: isort\n",
          "-run: make\n", "  -  run: tox -e lint\n", "\u3000run: wide-space\n", "  - - run: nested\n",
          "language: id: run:\n", "run:id\n", "  entry:mypy\n", "id:\n", "   \t- \trun: ruff check\n",
          "run: uv run python -m build\n", "  run: |\n", "    pytest\n", "    run: inner\n", "entry: \n"]


def test_keys_inside_words_and_several_on_a_line_read_as_every_line_does() -> None:
    generator = random.Random(1312)
    for _ in range(600):
        text = "".join(generator.choice(TRICKY + PARTS) for _ in range(generator.randrange(1, 25)))
        for variant in (text, text.rstrip("\n"), text.replace("\n", "\r\n")):
            for what in ("a workflow step", "a pre-commit hook"):
                assert yaml_names(variant, what) == _reference(variant, what), (variant, what)
