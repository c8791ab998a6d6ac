"""What a notebook's ``pip install`` line installs: each requirement it names, with its exact place.

A line is read as the shell reads it (IPython runs ``%pip`` and ``!`` lines through a shell): words split on
white space, quotes removed (``"pandas>=2,<3"`` is one word), a backslash at the end continues on the next line,
and the command ends at a shell operator or a comment (``;``, ``&&``, ``|``, ``>``, ``#``) — so that
``!pip install pandas>=2`` installs ``pandas`` and writes pip's output to a file named ``=2``, as the shell does.

Commands read: ``pip``/``pip3`` (any path), ``python -m pip`` (``python3``, ``{sys.executable}``, ``$PYTHON``),
``uv pip`` — each followed by ``install``. Options are skipped with their values (``-q``, ``-U``,
``--index-url URL``, ``-r requirements.txt``: a requirements file names no distribution here, the file itself is
a manifest or not), as are local paths and URLs whose distribution cannot be read from their name (a wheel's or
an sdist's file name, an ``#egg=`` fragment can), words IPython fills in (``{name}``, ``$name``), and ``pip``
itself; a ``--dry-run`` installs nothing. ``conda``/``mamba`` are not pip: nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename


@dataclass(frozen=True)
class PipInstall:
    """One requirement a notebook installs with pip: ``requirement`` as written (quotes removed), the ``name`` of
    its distribution as written, and its place in the notebook's code text (0-based ``line``, code-point columns
    ``start``–``end``)."""

    requirement: str
    name: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class _Word:
    value: str
    line: int
    start: int
    end: int
    quoted: bool


_OPERATORS = frozenset(";&|<>")
_PIP = re.compile(r"pip(?:3(?:\.\d+)?)?")
_PYTHON = re.compile(r"python(?:3(?:\.\d+)?)?|\{sys\.executable\}|\$\{?PYTHON\}?")
# options of pip and of uv pip that take a value (the next word, or after `=`)
_VALUED_LONG = frozenset({
    "--requirement", "--constraint", "--editable", "--target", "--platform", "--python-version", "--implementation",
    "--abi", "--root", "--prefix", "--src", "--upgrade-strategy", "--index-url", "--extra-index-url",
    "--find-links", "--no-binary", "--only-binary", "--progress-bar", "--report", "--config-settings",
    "--global-option", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action",
    "--trusted-host", "--cert", "--client-cert", "--cache-dir", "--python", "--keyring-provider", "--use-feature",
    "--use-deprecated", "--root-user-action", "--group", "--build-constraint", "--override", "--overrides",
    "--extra", "--index", "--default-index", "--index-strategy", "--resolution", "--prerelease",
    "--exclude-newer", "--link-mode", "--config-setting", "--python-platform", "--reinstall-package",
    "--upgrade-package", "--no-build-isolation-package", "--refresh-package", "--directory", "--project",
    "--config-file", "--color",
})
_INSTALLS_NOTHING = frozenset({"--dry-run", "--help", "-h"})
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
_VALUED_SHORT = frozenset("rceti fCPp".replace(" ", ""))


def _words(lines: list[tuple[int, str, int]]) -> list[_Word]:
    """The words of a command spread over ``lines`` (line number, text, column where the command starts), up
    to the first shell operator or comment."""
    words: list[_Word] = []
    for number, text, at in lines:
        i, n = at, len(text)
        while i < n:
            char = text[i]
            if char.isspace():
                i += 1
                continue
            if char == "\\" and not text[i + 1:].strip():
                break  # continued on the next line
            if char in _OPERATORS or char == "#":
                if words and text[i] in "<>" and words[-1].end == i and words[-1].value.isdigit():
                    words.pop()  # `2>/dev/null`: a file descriptor, not a word
                return words
            start, parts, quoted = i, [], False
            while i < n and not text[i].isspace() and text[i] not in _OPERATORS:
                char = text[i]
                if char in "'\"":
                    close = text.find(char, i + 1)
                    quoted = True
                    if close == -1:
                        parts.append(text[i + 1:])
                        i = n
                        break
                    parts.append(text[i + 1:close])
                    i = close + 1
                elif char == "\\" and i + 1 < n:
                    parts.append(text[i + 1])
                    i += 2
                else:
                    parts.append(char)
                    i += 1
            words.append(_Word("".join(parts), number, start, i, quoted))
    return words


def _install_arguments(words: list[_Word]) -> list[_Word] | None:
    """The words after ``… pip install`` (``None`` when the command is no pip install)."""
    if not words:
        return None
    first = words[0].value.rsplit("/", 1)[-1]
    values = [w.value for w in words]
    if _PIP.fullmatch(first):
        at = 1
    elif _PYTHON.fullmatch(first) and values[1:3] == ["-m", "pip"]:
        at = 3
    elif first == "uv" and values[1:2] == ["pip"]:
        at = 2
    else:
        return None
    while at < len(words) and values[at].startswith("-"):  # global options: `pip -q install x`
        at += 2 if values[at] in _VALUED_LONG else 1
    if at >= len(words) or values[at] != "install":
        return None
    return words[at + 1:]


def _name_of(value: str) -> tuple[str, str] | None:
    """(requirement, distribution name) of a positional word, ``None`` when its distribution is unknown."""
    if "{" in value or "$" in value or not value:
        return None
    if not value.startswith((".", "/", "~")) and not ("@" not in value and value.endswith(_ARCHIVES)):
        try:
            return value, Requirement(value).name
        except InvalidRequirement:
            pass  # a path or a URL: `git+https://…@v1#egg=name`
    egg = re.search(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)", value)
    if egg is not None:
        return egg.group(1), egg.group(1)
    file_name = value.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        if file_name.endswith(".whl"):
            name = str(parse_wheel_filename(file_name)[0])
        else:
            name = str(parse_sdist_filename(file_name)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return name, name


def pip_installs(lines: list[tuple[int, str, int]]) -> list[PipInstall]:
    """The requirements a command installs with pip; ``lines`` as ``_words`` takes them (the line's number in
    the notebook's code text, its text, the column after its ``%``/``!``)."""
    arguments = _install_arguments(_words(lines))
    if not arguments or any(w.value in _INSTALLS_NOTHING and not w.quoted for w in arguments):
        return []
    found: list[PipInstall] = []
    skip = False
    for word in arguments:
        value = word.value
        if skip:
            skip = False
            continue
        if value.startswith("--") and not word.quoted:
            skip = "=" not in value and value in _VALUED_LONG
            continue
        if value.startswith("-") and len(value) > 1 and not word.quoted:
            # a cluster of short flags (`-qU`); a short option with a value takes the rest or the next word
            for index, letter in enumerate(value[1:], start=1):
                if letter in _VALUED_SHORT:
                    skip = index == len(value) - 1
                    break
            continue
        named = _name_of(value)
        if named is None or named[1].lower() == "pip":
            continue
        found.append(PipInstall(named[0], named[1], word.line, word.start, word.end))
    return found


def continues(line: str) -> bool:
    """Whether a shell line goes on on the next line (it ends with a backslash)."""
    return line.rstrip().endswith("\\")
