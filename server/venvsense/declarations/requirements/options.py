"""The options of a requirements-file line, as pip parses them: ``shlex.split``, then optparse with the options
pip accepts in a requirements file (SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ), each with its source span."""

from __future__ import annotations

from typing import NamedTuple

from venvsense.declarations.requirements.requirement import quote
from venvsense.text import lazy_pattern

__all__ = ["INDEX_OPTIONS", "Option", "OptionError", "parse_options"]

_VALUE_OPTIONS = frozenset({
    "--index-url", "--extra-index-url", "--constraint", "--requirement", "--editable", "--find-links",
    "--no-binary", "--only-binary", "--all-releases", "--only-final", "--trusted-host", "--use-feature",
    "--hash", "--config-settings",
})
_FLAG_OPTIONS = frozenset({"--no-index", "--prefer-binary", "--require-hashes", "--no-require-hashes", "--pre"})
_ALIASES = {"--pypi-url": "--index-url"}
_LONG_OPTIONS = tuple(sorted(_VALUE_OPTIONS | _FLAG_OPTIONS | _ALIASES.keys()))
_SHORT_OPTIONS = {"-i": "--index-url", "-c": "--constraint", "-r": "--requirement", "-e": "--editable",
                  "-f": "--find-links", "-C": "--config-settings"}
_REMOVED_OPTIONS = {"--global-option": "25.3", "--build-option": "25.3", "--install-option": "23.1"}
_STRONG_HASHES = ("sha256", "sha384", "sha512")
# the options that change where packages come from (VS208)
INDEX_OPTIONS = frozenset({"--index-url", "--extra-index-url", "--find-links", "--trusted-host", "--no-index"})


_WORD = lazy_pattern(r"[^ \t\r\n]+")  # a token of shlex.split when there are no quotes or escapes


class _SplitError(ValueError):
    pass


def _split(text: str) -> list[tuple[str, int, int]]:
    """``shlex.split(text)`` (POSIX mode, no comments), each token with the span of text it came from."""
    if "'" not in text and '"' not in text and "\\" not in text:
        return [(m.group(), m.start(), m.end()) for m in _WORD().finditer(text)]
    tokens: list[tuple[str, int, int]] = []
    i, n = 0, len(text)
    whitespace = " \t\r\n"
    while True:
        while i < n and text[i] in whitespace:
            i += 1
        if i >= n:
            return tokens
        start = i
        value: list[str] = []
        while i < n and text[i] not in whitespace:
            char = text[i]
            if char == "\\":
                if i + 1 >= n:
                    raise _SplitError("No escaped character")
                value.append(text[i + 1])
                i += 2
            elif char in "'\"":
                i += 1
                while True:
                    if i >= n:
                        raise _SplitError("No closing quotation")
                    inner = text[i]
                    if inner == char:
                        i += 1
                        break
                    if char == '"' and inner == "\\":
                        if i + 1 >= n:
                            raise _SplitError("No escaped character")
                        if text[i + 1] not in '"\\':
                            value.append("\\")
                        value.append(text[i + 1])
                        i += 2
                        continue
                    value.append(inner)
                    i += 1
            else:
                value.append(char)
                i += 1
        tokens.append(("".join(value), start, i))


class Option(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """One option given on a line: its long name, its value, the span of the whole and of the value."""

    name: str
    value: str
    start: int
    end: int
    value_start: int
    value_end: int


class OptionError(ValueError):
    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


def _long_option(written: str, start: int, end: int) -> str:
    """optparse's ``_match_abbrev``: an exact name, or an unambiguous prefix of one."""
    if written in _LONG_OPTIONS:
        return _ALIASES.get(written, written)
    if written in _REMOVED_OPTIONS:
        raise OptionError(f"unknown option {written}: pip {_REMOVED_OPTIONS[written]} removed it "
                           "(--config-settings replaces it)", start, end)
    matches = [name for name in _LONG_OPTIONS if name.startswith(written)]
    if len(matches) == 1:
        return _ALIASES.get(matches[0], matches[0])
    if not matches:
        raise OptionError(f"unknown option {quote(written)}", start, end)
    raise OptionError(f"ambiguous option {quote(written)} ({', '.join(matches)}?)", start, end)


def parse_options(text: str, base: int) -> list[Option]:
    """The options in ``text`` (spans shifted by ``base``); raises ``OptionError`` where pip's parser fails.

    Plain words among options are skipped: optparse sets them aside and pip never looks at them.
    """
    try:
        tokens = _split(text)
    except _SplitError as error:
        raise OptionError(f"could not split options: {error}", base, base + len(text)) from None
    options: list[Option] = []
    i = 0
    while i < len(tokens):
        token, start, end = tokens[i]
        start, end = start + base, end + base
        i += 1
        if token == "--":
            break
        if token.startswith("--"):
            written, equals, attached = token.partition("=")
            name = _long_option(written, start, end)
            shown = name
            if name in _FLAG_OPTIONS:
                if equals:
                    raise OptionError(f"{name} option does not take a value", start, end)
                options.append(Option(name, "", start, end, end, end))
                continue
            if equals:
                value, value_start, value_end = attached, end - len(attached), end
            elif i < len(tokens):
                value, value_start, value_end = tokens[i][0], tokens[i][1] + base, tokens[i][2] + base
                i += 1
            else:
                raise OptionError(f"{name} option requires 1 argument", start, end)
        elif token.startswith("-") and len(token) > 1:
            shown = token[:2]
            if shown not in _SHORT_OPTIONS:
                raise OptionError(f"unknown option {shown}", start, end)
            name = _SHORT_OPTIONS[shown]
            if len(token) > 2:
                value, value_start, value_end = token[2:], end - (len(token) - 2), end
            elif i < len(tokens):
                value, value_start, value_end = tokens[i][0], tokens[i][1] + base, tokens[i][2] + base
                i += 1
            else:
                raise OptionError(f"{shown} option requires 1 argument", start, end)
        else:
            continue
        _check_value(name, shown, value, start, value_end)
        options.append(Option(name, value, start, value_end, value_start, value_end))
    return options


def _check_value(name: str, shown: str, value: str, start: int, end: int) -> None:
    """The checks pip's option callbacks make of a value."""
    if name == "--hash":
        algorithm, colon, _ = value.partition(":")
        if not colon:
            raise OptionError(f"Arguments to {shown} must be a hash name followed by a value, "
                               "like --hash=sha256:abcde...", start, end)
        if algorithm not in _STRONG_HASHES:
            raise OptionError(f"Allowed hash algorithms for {shown} are {', '.join(_STRONG_HASHES)}.", start, end)
    elif name == "--config-settings" and "=" not in value:
        raise OptionError(f"Arguments to {shown} must be of the form KEY=VAL", start, end)
    elif name in ("--no-binary", "--only-binary") and value.startswith("-"):
        raise OptionError("--no-binary / --only-binary option requires 1 argument.", start, end)
    elif name in ("--all-releases", "--only-final") and value.startswith("-"):
        raise OptionError("--all-releases / --only-final option requires 1 argument.", start, end)
