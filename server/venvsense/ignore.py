"""Git's ignore rules: ``.gitignore`` files and ``.git/info/exclude``, each compiled once into one matcher.

The semantics are git's (``gitignore(5)``): blank lines and ``#`` comments are skipped, trailing spaces dropped
unless escaped, ``!`` re-includes, a trailing ``/`` matches folders only, a pattern with a ``/`` before its end is
anchored to the folder of its file (otherwise it matches a name at any depth), ``*``/``?``/``[…]`` never match
``/``, ``**`` spans folders (``**/x``, ``x/**``, ``a/**/b``), ``\\`` escapes. Within one file the last matching
pattern decides; a deeper ``.gitignore`` decides before the ones above it, and those before ``info/exclude``.
A file under an ignored folder cannot be re-included (the walk never enters an ignored folder).

Most patterns of real ignore files are a name (``__pycache__``, ``.env``), a suffix (``*.log``), a prefix
(``.venv*``, ``.*``), one of a few spellings (``[Dd]ebug``, ``*.py[cod]``) or a path (``/site``,
``docs/_build``): those are looked up in dictionaries (name → the index of its last pattern), with one
``str.endswith``/``str.startswith`` call on a tuple to rule most names out. Only the rest is compiled, into one
combined regular expression per kind (names or paths), every pattern an alternative in reverse order: the first
alternative that matches is the last matching pattern among them. So a verdict is a few lookups and at most two
``re.match`` calls whatever the number of patterns, and compiling a file costs little (Python's ``re`` parses a
pattern in Python: a 280-pattern ``.gitignore`` took 14 ms as four combined expressions).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from functools import lru_cache
from itertools import product

# bounds: an ignore file is read up to this size, and only this many of its patterns are used
MAX_IGNORE_BYTES = 1_000_000
MAX_PATTERNS = 10_000
# a pattern with classes (``[Dd]ebug``) is looked up as its spellings when it has at most this many
_MAX_SPELLINGS = 64
# how many names' answers one ignore file keeps (then it starts over)
_MAX_KNOWN = 50_000

_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "digit": "0-9", "lower": "a-z", "upper": "A-Z",
    "space": " \\t\\n\\r\\f\\v", "xdigit": "0-9a-fA-F", "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
}


class _Star:
    """``*`` (any run of characters but ``/``) in a segment's tokens."""


class _Any:
    """``?`` (one character but ``/``) in a segment's tokens."""


STAR = _Star()
ANY = _Any()
_SPECIAL = re.compile(r"[\\*?\[]")
# a segment's tokens: literal text, ``*``, ``?``, or a class as (regex, its characters when they are
# few and known, else None)
_Token = str | _Star | _Any | tuple[str, frozenset[str] | None]


class _Kind:
    """The patterns that apply to one kind of entry (folders, or files: folder-only patterns left out)."""

    __slots__ = ("all", "inner", "known", "names", "names_regex", "names_source", "pairs", "path_folders", "paths",
                 "paths_regex", "paths_source", "prefix_map", "prefix_sizes", "prefixes", "regex_anywhere",
                 "regex_heads", "regex_top", "suffix_map", "suffix_sizes", "suffixes")

    def __init__(self) -> None:
        self.all = -1  # the last pattern matching every name (``*``)
        self.names: dict[str, int] = {}
        self.suffix_map: dict[str, int] = {}
        self.prefix_map: dict[str, int] = {}
        self.pairs: list[tuple[str, str, int]] = []  # ``prefix*suffix``
        self.inner: list[tuple[str, int]] = []  # ``*text*``
        self.paths: dict[str, int] = {}
        self.suffixes: tuple[str, ...] = ()
        self.suffix_sizes: tuple[int, ...] = ()
        self.prefixes: tuple[str, ...] = ()
        self.prefix_sizes: tuple[int, ...] = ()
        # the expressions' sources, compiled when first needed (a kind of entry the tree does not hold, or paths
        # in folders they cannot match, never cost a compilation)
        self.names_source: str | None = None
        self.paths_source: str | None = None
        self.names_regex: re.Pattern[str] | None = None
        self.paths_regex: re.Pattern[str] | None = None
        # where path patterns can match: the folders of the literal paths; for the expressions, whether one
        # matches in any folder, one only at the top (a single anchored segment), and the first segments
        # ("dir/") the others start with
        self.path_folders: set[str] = set()
        self.regex_anywhere = False
        self.regex_top = False
        self.regex_heads: tuple[str, ...] = ()
        # the answers for names met so far (a tree repeats its names: __init__.py, tests, models.py…)
        self.known: dict[str, int] = {}

    def add_name(self, pieces: list[str], index: int) -> None:
        """A name pattern made of literal ``pieces`` with ``*`` between them (one or two pieces, or three with
        the first and last empty)."""
        if len(pieces) == 3:
            self.inner.append((pieces[1], index))
        elif len(pieces) == 1:
            self.names[pieces[0]] = index  # a later pattern has a higher index
        elif pieces[0] and pieces[1]:
            self.pairs.append((pieces[0], pieces[1], index))
        elif pieces[1]:
            self.suffix_map[pieces[1]] = index
        elif pieces[0]:
            self.prefix_map[pieces[0]] = index
        else:
            self.all = index

    def finish(self, names: list[tuple[int, str]], paths: list[tuple[int, str]], heads: list[str | None]) -> None:
        """Done adding: ``names`` and ``paths`` are the (index, regex) of the patterns left to expressions,
        ``heads`` what each path expression starts with (see ``_head``)."""
        self.path_folders = {path.rpartition("/")[0] + "/" if "/" in path else "" for path in self.paths}
        self.regex_anywhere = None in heads
        self.regex_top = "" in heads
        self.regex_heads = tuple(head for head in heads if head)
        self.suffixes = tuple(self.suffix_map)
        self.suffix_sizes = tuple(sorted({len(suffix) for suffix in self.suffix_map}))
        self.prefixes = tuple(self.prefix_map) + tuple(prefix for prefix, _, _ in self.pairs)
        self.prefix_sizes = tuple(sorted({len(prefix) for prefix in self.prefix_map}))
        self.names_source = _combine(names)
        self.paths_source = _combine(paths)

    def match(self, relative: str, name: str) -> int:
        """The index of the last pattern matching the entry, -1 when none does."""
        index = self.known.get(name)
        if index is None:
            index = self.name_index(name)
        if self.paths or self.paths_source is not None:
            index = self.path_index(relative, index)
        return index

    def name_index(self, name: str) -> int:
        """The index of the last name pattern matching ``name`` (-1 for none), kept for the next time."""
        index = self.match_name(name)
        if len(self.known) >= _MAX_KNOWN:
            self.known.clear()
        self.known[name] = index
        return index

    def paths_in(self, folder: str) -> bool:
        """Whether a path pattern can match an entry of the folder at ``folder`` ("" or ending with "/")."""
        if folder in self.path_folders:
            return True
        if self.paths_source is None:
            return False
        return self.regex_anywhere or (self.regex_top and not folder) or (
            bool(self.regex_heads) and folder.startswith(self.regex_heads))

    def path_index(self, relative: str, index: int) -> int:
        """``index`` or the index of a later path pattern matching ``relative``."""
        found = self.paths.get(relative, -1)
        if found > index:
            index = found
        if self.paths_source is not None:
            regex = self.paths_regex
            if regex is None:
                regex = self.paths_regex = re.compile(self.paths_source)
            matched = regex.match(relative)
            if matched is not None:
                index = max(index, int(matched.lastgroup[1:]))  # type: ignore[index]
        return index

    def match_name(self, name: str) -> int:
        """The index of the last name pattern matching ``name``, -1 when none does."""
        index = self.names.get(name, -1)
        if self.all > index:
            index = self.all
        if self.suffixes and name.endswith(self.suffixes):
            suffix_map = self.suffix_map
            for size in self.suffix_sizes:
                found = suffix_map.get(name[-size:], -1)
                if found > index:
                    index = found
        if self.prefixes and name.startswith(self.prefixes):
            prefix_map = self.prefix_map
            for size in self.prefix_sizes:
                found = prefix_map.get(name[:size], -1)
                if found > index:
                    index = found
            for prefix, suffix, found in self.pairs:
                if found > index and len(name) >= len(prefix) + len(suffix) and name.startswith(prefix) \
                        and name.endswith(suffix):
                    index = found
        for text, found in self.inner:
            if found > index and text in name:
                index = found
        if self.names_source is not None:
            regex = self.names_regex
            if regex is None:
                regex = self.names_regex = re.compile(self.names_source)
            matched = regex.match(name)
            if matched is not None:
                index = max(index, int(matched.lastgroup[1:]))  # type: ignore[index]
        return index


class IgnoreFile:
    """The compiled patterns of one ignore file; paths are relative to its folder, POSIX, without a trailing
    ``/``.

    A pattern without a ``/`` (but a trailing one), or ``**/`` and such a pattern, matches an entry's name
    whatever its folder: it is matched against the name alone, the others against the relative path."""

    __slots__ = ("_count", "_files", "_folders", "_negated")

    def __init__(self, lines: Iterable[str]) -> None:
        self._negated: list[bool] = []
        folders, files = _Kind(), _Kind()
        # (index, regex) of the patterns left to regular expressions, by (folders, anchored)
        regexes: dict[tuple[bool, bool], list[tuple[int, str]]] = {
            (True, False): [], (True, True): [], (False, False): [], (False, True): []}
        heads: dict[bool, list[str | None]] = {True: [], False: []}  # of the path expressions, by folders
        for line in lines:
            rule = _rule(line)
            if rule is None:
                continue
            segments, negated, only_folders, anchored = rule
            index = len(self._negated)
            self._negated.append(negated)
            kinds = (folders,) if only_folders else (folders, files)
            spellings = _spellings(segments, anchored)
            if spellings is not None:
                for kind in kinds:
                    for pieces in spellings:
                        if anchored:
                            kind.paths["/".join(pieces)] = index
                        else:
                            kind.add_name(pieces, index)
            else:
                regex = _regex(segments)
                regexes[(True, anchored)].append((index, regex))
                if anchored:
                    heads[True].append(_head(segments))
                if not only_folders:
                    regexes[(False, anchored)].append((index, regex))
                    if anchored:
                        heads[False].append(_head(segments))
            if len(self._negated) >= MAX_PATTERNS:
                break
        self._count = len(self._negated)
        folders.finish(regexes[(True, False)], regexes[(True, True)], heads[True])
        files.finish(regexes[(False, False)], regexes[(False, True)], heads[False])
        self._folders, self._files = folders, files

    def verdict(self, relative: str, name: str, is_folder: bool) -> bool | None:
        """``True`` when the last pattern matching ``relative`` (whose last segment is ``name``) ignores it,
        ``False`` when it re-includes it (``!``), ``None`` when no pattern matches."""
        index = (self._folders if is_folder else self._files).match(relative, name)
        return None if index < 0 else not self._negated[index]

    def verdicts(self, folder: str, names: list[str], is_folder: bool) -> list[bool | None]:
        """``verdict(folder + name, name, is_folder)`` for each of ``names`` (entries of the folder at
        ``folder``, relative: "" or ending with "/")."""
        kind = self._folders if is_folder else self._files
        known, negated, paths = kind.known, self._negated, kind.paths_in(folder)
        if len(known) >= _MAX_KNOWN:
            known.clear()
        out: list[bool | None] = []
        for name in names:
            index = known.get(name)
            if index is None:
                index = known[name] = kind.match_name(name)
            if paths:
                index = kind.path_index(folder + name, index)
            out.append(None if index < 0 else not negated[index])
        return out

    def __bool__(self) -> bool:
        return self._count > 0


def read_ignore_file(path: str) -> IgnoreFile | None:
    """The compiled patterns of the ignore file at ``path``; ``None`` when it cannot be read, is not a regular
    file, or holds no pattern."""
    try:
        # never blocks on a FIFO, never reads a device: only a regular file, and only so much of it
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        data = os.read(descriptor, MAX_IGNORE_BYTES)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return _compiled(data)


@lru_cache(maxsize=256)
def _compiled(data: bytes) -> IgnoreFile | None:
    # the language server checks the same tree again and again: an unchanged file is compiled once
    rules = IgnoreFile(data.decode("utf-8", "replace").splitlines())
    return rules if rules else None


def _combine(patterns: list[tuple[int, str]]) -> str | None:
    if not patterns:
        return None
    alternatives = [f"(?P<p{index}>{regex})" for index, regex in reversed(patterns)]
    return r"(?s:" + "|".join(alternatives) + r")\Z"


# a pattern as its segments: each a list of tokens, or None for a whole-segment ``**``
_Segments = list[list[_Token] | None]


def _rule(line: str) -> tuple[_Segments, bool, bool, bool] | None:
    """One line of an ignore file as (segments, negated, folders only, anchored); ``None`` for blank lines,
    comments and patterns that can never match. A pattern that is not anchored is matched against names."""
    line = line.rstrip("\r")
    if not line or line.startswith("#"):
        return None
    # trailing spaces are dropped unless escaped with a backslash
    end = len(line)
    while end > 0 and line[end - 1] == " " and (end < 2 or line[end - 2] != "\\"):
        end -= 1
    line = line[:end]
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    only_folders = line.endswith("/") and not line.endswith("\\/")
    if only_folders:
        line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    if not line:
        return None
    parts = line.split("/")
    if len(parts) == 2 and parts[0] == "**" and parts[1] != "**":
        parts, anchored = parts[1:], False  # "**/name" matches the name at any depth
    segments: _Segments = []
    for part in parts:
        if part == "**":
            segments.append(None)
            continue
        tokens = _tokens(part)
        if tokens is None:
            return None
        segments.append(tokens)
    return segments, negated, only_folders, anchored


def _spellings(segments: _Segments, anchored: bool) -> list[list[str]] | None:
    """The pattern as the few literal spellings it stands for, each as pieces with ``*`` between them (a name
    pattern: one or two pieces; an anchored one: one piece per segment, no ``*``); ``None`` when it is not
    that simple (``?``, ``**``, large or negated classes, more ``*`` than in ``*text*``)."""
    if len(segments) == 1 and not anchored:
        only = segments[0]
        if only is not None and len(only) == 1 and isinstance(only[0], str) and "\0" not in only[0]:
            return [[only[0]]]  # a name: the commonest pattern
    choices: list[list[str]] = []  # per segment, its spellings (with "\0" for "*")
    for tokens in segments:
        if tokens is None:
            return None
        options = [""]
        for token in tokens:
            if isinstance(token, str):
                if "\0" in token:
                    return None  # the spellings' own mark for "*"
                options = [option + token for option in options]
            elif token is STAR:
                options = [option if option.endswith("\0") else option + "\0" for option in options]
            elif isinstance(token, tuple) and token[1] is not None:
                options = [option + char for option in options for char in sorted(token[1])]
            else:
                return None
            if len(options) > _MAX_SPELLINGS:
                return None
        choices.append(options)
    if not anchored:
        spelled = [option.split("\0") for option in choices[0]]
        simple = all(len(pieces) <= 2 or (len(pieces) == 3 and not pieces[0] and not pieces[2] and pieces[1])
                     for pieces in spelled)
        return spelled if simple else None
    if any("\0" in option for options in choices for option in options):
        return None
    spellings = [list(combination) for combination in product(*choices)]
    return spellings if len(spellings) <= _MAX_SPELLINGS else None


def _head(segments: _Segments) -> str | None:
    """Where an anchored pattern left to an expression can match: "" at the top only (one segment), "dir/"
    under a literal first segment, ``None`` anywhere."""
    first = segments[0]
    if len(segments) == 1:
        return "" if first is not None else None
    if first is not None and all(isinstance(token, str) for token in first):
        return "".join(token for token in first if isinstance(token, str)) + "/"
    return None


def _regex(segments: _Segments) -> str:
    """A pattern's segments as a regex over the whole relative path (or the name)."""
    out: list[str] = []
    last = len(segments) - 1
    for index, tokens in enumerate(segments):
        if tokens is None:
            if index == last:
                out.append(".+" if index == 0 else "/.+")
            elif index == 0:
                out.append("(?:.*/)?")
            else:
                out.append("/(?:.*/)?")
            continue
        if index and not (segments[index - 1] is None and index - 1 != last):
            out.append("/")
        out.extend(_token_regex(token) for token in tokens)
    return "".join(out)


def _token_regex(token: _Token) -> str:
    if isinstance(token, str):
        return re.escape(token)
    if isinstance(token, tuple):
        return token[0]
    return "[^/]*" if token is STAR else "[^/]"


def _tokens(segment: str) -> list[_Token] | None:
    """One path segment's glob as tokens (``*``, ``?`` and classes never cross ``/``); ``None`` when it can
    never match. Literal text may come as several tokens."""
    if not _SPECIAL.search(segment):
        return [segment]  # most segments: one literal
    out: list[_Token] = []
    i = 0
    size = len(segment)
    while i < size:
        char = segment[i]
        if char == "\\":
            if i + 1 < size:
                out.append(segment[i + 1])
                i += 2
            else:
                return None  # a trailing backslash: git matches nothing
            continue
        if char == "*":
            while i < size and segment[i] == "*":
                i += 1
            out.append(STAR)
            continue
        if char == "?":
            out.append(ANY)
        elif char == "[":
            found = _bracket(segment, i)
            if found is None:
                return None  # an unterminated class: git matches nothing
            regex, chars, i = found
            out.append((regex, chars))
            continue
        else:
            out.append(char)
        i += 1
    return out


def _bracket(segment: str, start: int) -> tuple[str, frozenset[str] | None, int] | None:
    """The class starting at ``segment[start] == "["``: its regex, its characters (``None`` when negated, named
    or large) and the index after it."""
    i = start + 1
    size = len(segment)
    negate = i < size and segment[i] in "!^"
    if negate:
        i += 1
    items: list[str] = []
    chars: set[str] | None = None if negate else set()
    first = True
    while i < size:
        char = segment[i]
        if char == "]" and not first:
            body = "".join(items)
            known = frozenset(chars - {"/"}) if chars is not None else None
            if not body:
                return ("[^/]" if negate else "(?!)"), known, i + 1
            return ("[^/" + body + "]" if negate else "(?!/)[" + body + "]"), known, i + 1
        first = False
        if char == "[" and segment.startswith("[:", i):
            close = segment.find(":]", i + 2)
            if close != -1 and segment[i + 2:close] in _CLASSES:
                items.append(_CLASSES[segment[i + 2:close]])
                chars = None
                i = close + 2
                continue
        if char == "\\" and i + 1 < size:
            i += 1
            char = segment[i]
        if i + 2 < size and segment[i + 1] == "-" and segment[i + 2] != "]":
            high = segment[i + 2]
            end = i + 3
            if high == "\\" and i + 3 < size:
                high = segment[i + 3]
                end = i + 4
            if high >= char:
                items.append(re.escape(char) + "-" + re.escape(high))
                if chars is not None:
                    chars = chars | {chr(code) for code in range(ord(char), ord(high) + 1)} \
                        if ord(high) - ord(char) < _MAX_SPELLINGS else None
            i = end
            continue
        items.append(re.escape(char))
        if chars is not None:
            chars.add(char)
        i += 1
    return None
