"""Commands the project's own tooling runs — a Makefile's recipes, tox ``commands``, a noxfile's
``session.run(...)``, pre-commit hooks, GitHub workflow ``run:`` steps, a Procfile, pdm/hatch/poe script tables —
and the tools its config files are for (``[tool.black]``, ``[flake8]``, ``.coveragerc``): each a distribution
named by its command or its config, and ``python -m module`` a module."""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator

from venvsense.classify.byname.names import DISTRIBUTION, MODULE, NameFound

# words that run the command after them
_RUNNERS = frozenset({"uv", "uvx", "poetry", "pipenv", "pdm", "hatch", "rye", "pipx", "run", "exec", "sudo",
                      "time", "env", "nice", "xvfb-run", "npx", "-"})
_PYTHON = re.compile(r"(?:.*/)?(?:python(?:\d(?:\.\d+)?)?|py|\{envpython\}|\$\(PYTHON\)|\$\{?PYTHON\}?|\$python)$",
                     re.IGNORECASE)
_COMMAND_WORD = re.compile(r"[A-Za-z][\w.\-]*")
_SPLIT = re.compile(r"&&|\|\||[;|`]|\$\(")


def command_names(line: str, number: int, what: str) -> Iterator[NameFound]:
    """The commands a shell line runs (each part of ``a && b | c``): the first word that is not an assignment
    or a runner, as a distribution name, and ``python -m module`` (also ``coverage run -m``) as a module."""
    if not line:
        return
    for kind, name, how in _line_commands(line, what):
        yield NameFound(kind, name, number, how)


@functools.lru_cache(maxsize=1 << 14)
def _line_commands(line: str, what: str) -> tuple[tuple[str, str, str], ...]:
    """``command_names`` of one line, without its number: kept by the line's text (generated workflows repeat
    the same long ``run:`` scripts file after file)."""
    return tuple((found.kind, found.name, found.what) for found in _command_names(line, 0, what))


def _command_names(line: str, number: int, what: str) -> Iterator[NameFound]:
    for part in _SPLIT.split(line):
        words = [word.strip("\"'") for word in part.partition(" #")[0].split()]  # shlex is 10x slower here
        index = 0
        while index < len(words):
            raw = words[index]
            word = raw.lstrip("@-+") if index == 0 else raw  # a Make recipe's @, - and + prefixes
            if not word or ("=" in word and not word.startswith("-")) or word in _RUNNERS or (
                    index > 0 and word.startswith("-")):
                index += 1  # FOO=bar, a runner (uv run, poetry run), a runner's option
                continue
            break
        else:
            continue
        word = words[index].lstrip("@-+") if index == 0 else words[index]
        rest = words[index + 1:]
        if _PYTHON.fullmatch(word) or word in {"coverage"}:
            if word == "coverage":
                yield NameFound(DISTRIBUTION, "coverage", number, what)
            if "-m" in rest:
                at = rest.index("-m")
                if at + 1 < len(rest):
                    module = rest[at + 1]
                    yield NameFound(MODULE, module, number, f"{what} (python -m)")
                    if module in {"pip", "uv"} and "install" not in rest:
                        continue
            continue
        name = word.rsplit("/", 1)[-1]
        if _COMMAND_WORD.fullmatch(name):
            yield NameFound(DISTRIBUTION, name, number, what)


def lines_names(text: str, what: str, recipe_only: bool = False) -> list[NameFound]:
    """Every line of a script-like file as commands (``recipe_only``: a Makefile's tab-indented recipe lines)."""
    found: list[NameFound] = []
    for number, line in enumerate(text.splitlines(), 1):
        if recipe_only and not line.startswith("\t"):
            continue
        if what == "a Procfile" and ":" in line:
            line = line.split(":", 1)[1]
        found.extend(command_names(line.strip(), number, what))
    return found


_RUN_KEY = re.compile(r"^(\s*)(?:-\s+)?(run|entry|id|language):\s*(.*?)\s*$")


# the lines that may hold one of those keys: each key found in the whole text at once (`str.find`: a workflow of
# 100 kB has 3,000 lines and a dozen steps; pydantic-ai's 27 generated ones 1.6 MB), kept when what is before it on
# its line is what ``_RUN_KEY`` allows there; only when `\n` is the text's one line break (else every line is tried)
_KEYS = ("run:", "entry:", "id:", "language:")
_KEY_PREFIX = re.compile(r"[^\S\n]*(?:-[^\S\n]+)?")
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _key_lines(text: str, count: int) -> Iterator[int]:
    """The indexes (in ``text.splitlines()``, ``count`` lines) of the lines ``_RUN_KEY`` may match, in order."""
    if any(brk in text for brk in _OTHER_BREAKS):
        yield from range(count)
        return
    starts: set[int] = set()
    find, rfind, prefix = text.find, text.rfind, _KEY_PREFIX.fullmatch
    for key in _KEYS:
        at = find(key)
        while at != -1:
            start = rfind("\n", 0, at) + 1
            if start == at or prefix(text, start, at):
                starts.add(start)
            at = find(key, at + len(key))
    index, at = 0, 0
    for start in sorted(starts):
        index += text.count("\n", at, start)
        at = start
        yield index


def yaml_names(text: str, what: str) -> list[NameFound]:
    """The commands of a workflow's ``run:`` steps (one line or a ``|``/``>`` block) and of pre-commit hooks
    (``entry:``; ``id:`` of a hook, which names its tool), read line by line — no YAML parser needed for these."""
    found: list[NameFound] = []
    lines = text.splitlines()
    number = 0
    for index in _key_lines(text, len(lines)):
        if index < number:
            continue  # inside the block of a step already read
        match = _RUN_KEY.match(lines[index])
        number = index + 1
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


_NOX_RUN = re.compile(r"""session\.run(?:_always|_install)?\(\s*(?:\*\w+\s*,\s*)?((?:["'][^"']*["']\s*,?\s*)+)""")
_QUOTED = re.compile(r"""["']([^"']*)["']""")


def noxfile_names(text: str) -> list[NameFound]:
    """``session.run("pytest", ...)`` and ``session.run("python", "-m", "x")`` in a noxfile."""
    found: list[NameFound] = []
    for match in _NOX_RUN.finditer(text):
        words = _QUOTED.findall(match.group(1))
        number = text.count("\n", 0, match.start()) + 1
        found.extend(command_names(shlex.join(words), number, "a nox session"))
    return found


# config files that name their tool
TOOL_FILES = {
    ".coveragerc": "coverage", ".flake8": "flake8", "mypy.ini": "mypy", ".mypy.ini": "mypy", "pytest.ini": "pytest",
    ".pylintrc": "pylint", "pylintrc": "pylint", ".isort.cfg": "isort", ".bandit": "bandit",
    ".pydocstyle": "pydocstyle", ".yamllint": "yamllint", ".yamllint.yml": "yamllint", ".yamllint.yaml": "yamllint",
    ".bumpversion.cfg": "bumpversion", ".bumpversion.toml": "bump-my-version", "towncrier.toml": "towncrier",
    "ruff.toml": "ruff", ".ruff.toml": "ruff", "mkdocs.yml": "mkdocs", "mkdocs.yaml": "mkdocs",
    ".pre-commit-config.yaml": "pre-commit", ".pre-commit-config.yml": "pre-commit", "tox.ini": "tox",
    "noxfile.py": "nox", ".codespellrc": "codespell", "pyrightconfig.json": "pyright", ".readthedocs.yaml": "sphinx",
    ".readthedocs.yml": "sphinx", "codecov.yml": "codecov", ".commitlintrc": "commitizen", "cog.toml": "cogapp",
    ".cz.toml": "commitizen", "alembic.ini": "alembic", "behave.ini": "behave", ".behaverc": "behave",
}
_SECTION = re.compile(r"^\[\s*(?:tool:)?([A-Za-z][\w\-]*)", re.MULTILINE)
# setup.cfg / tox.ini sections that are not a tool's
_NOT_TOOLS = frozenset({"metadata", "options", "bdist_wheel", "sdist", "egg_info", "aliases", "install", "testenv",
                        "gh-actions", "gh", "build_sphinx", "upload_docs", "easy_install", "develop", "global"})


def section_tools(text: str) -> list[NameFound]:
    """The tools a setup.cfg or tox.ini configures by section (``[flake8]``, ``[coverage:run]``, ``[mypy-x]``)."""
    found: list[NameFound] = []
    for match in _SECTION.finditer(text):
        name = match.group(1).split(":", 1)[0]
        name = name.split("-", 1)[0] if name.startswith(("mypy-", "isort-")) else name
        if name.lower() not in _NOT_TOOLS and not name.startswith("testenv"):
            number = text.count("\n", 0, match.start()) + 1
            found.append(NameFound(DISTRIBUTION, name, number, f"[{match.group(1)}] configures it"))
    return found


def tox_commands(text: str) -> list[NameFound]:
    """The commands in tox.ini's ``commands``/``commands_pre``/``commands_post`` values (continuation lines too)."""
    found: list[NameFound] = []
    inside = False
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not raw[:1].isspace():
            key = re.match(r"^(commands(?:_pre|_post)?|allowlist_externals)\s*=\s*(.*)$", stripped)
            inside = key is not None
            if key is not None and key.group(2):
                found.extend(command_names(key.group(2), number, "a tox command"))
            continue
        if inside and stripped and not stripped.startswith("#"):
            found.extend(command_names(stripped, number, "a tox command"))
    return found
