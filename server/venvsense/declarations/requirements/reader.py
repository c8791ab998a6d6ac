"""Reads one requirements file and the files it includes into a ``Manifest``: the entry point of the
requirements reader, walking the logical lines and following ``-r``/``-c`` includes."""

from __future__ import annotations

import contextlib
import contextvars
import gc
import os
import re
import stat
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from venvsense.declarations import MAIN, Declaration, IndexOption, Manifest
from venvsense.declarations.requirements.compiled import is_compiled, only_via_packages
from venvsense.declarations.requirements.line_cache import RememberedLines, remember_lines, remembered_lines
from venvsense.declarations.requirements.lines import (
    LogicalLine,
    comment_start,
    decode_requirements,
    editor_line_starts,
    next_logical_line,
)
from venvsense.declarations.requirements.options import INDEX_OPTIONS, Option, OptionError, parse_options
from venvsense.declarations.requirements.requirement import (
    ParsedRequirement,
    Rejected,
    parse_editable,
    parse_line_requirement,
    quote,
    simple_requirement,
)
from venvsense.findings import make
from venvsense.text import START, Position, Range, UnreadableFile, lazy_pattern, read_capped, read_text

__all__ = ["read_requirements", "workspace_boundary"]

INVALID = "VS206"
UNRESOLVABLE = "VS207"
INDEX_OVERRIDE = "VS208"
_INCLUDE_URL = lazy_pattern(r"^(http|https|file):", re.I)  # pip's SCHEME_RE: includes pip fetches as URLs


def read_requirements(
    path: Path, *, primary: bool, declaration_set: str | None = None,
    overrides: Mapping[Path, str] | None = None, environ: Mapping[str, str] | None = None,
    workspace: Sequence[Path] | None = None, follow_outside: bool | None = None,
) -> Manifest:
    """Read one requirements file and, recursively, the ``-r``/``-c`` files it includes.

    ``overrides`` holds the text of unsaved editor buffers by absolute path (used instead of the disk for the
    file and its includes); ``environ`` is what ``${VAR}`` expands from (default ``os.environ``). Entries of
    included files are declared in the included file's name and share ``primary``. Never raises: a line pip
    would reject is a VS206 finding, an include that cannot be read a VS207 one, each index option a VS208.

    ``workspace``: the folders whose files are the workspace's own (``None``: every file is). A file whose real
    path is elsewhere (``-r ../secret.txt``, ``-r /etc/shadow``, a link leading out) is recorded in
    ``Manifest.outside`` with the place that led to it, so that nothing found in it is ever shown with its
    content; with ``follow_outside`` false (an untrusted workspace) it is not read at all (VS207 on the include,
    VS206 on a link that is itself a requirements file). Both default to the ``workspace_boundary`` in force
    (how the readers of ``setup.cfg``, ``pyproject.toml`` and ``setup.py`` read their ``file:`` references).
    """
    path = Path(os.path.abspath(path))
    boundary = _BOUNDARY.get()
    if workspace is None and boundary is not None:
        workspace = boundary[0]
    if follow_outside is None:
        follow_outside = boundary[1] if boundary is not None else True
    folders = None if workspace is None else tuple(_real(folder) for folder in workspace)
    reader = _Reader(primary, overrides or {}, os.environ if environ is None else environ, path, folders,
                     follow_outside)
    if not reader.own(path):
        if not follow_outside:
            reader.manifest.files.append(path)
            reader.manifest.findings.append(make(
                INVALID, f"{path.name} leads outside the workspace: not read (the workspace is not trusted)", path,
                START, secondary=not primary, declaration_set=declaration_set or path.name))
            return reader.manifest
        reader.manifest.outside[path] = (path, START)
    try:
        text = reader.load(path)
    except UnreadableFile as error:
        reader.manifest.files.append(path)
        reader.manifest.findings.append(make(INVALID, f"{quote(path.name)} {error.reason}", path, START,
                                             secondary=not primary, declaration_set=declaration_set or path.name))
        return reader.manifest
    with _gc_paused(len(text) > _LARGE):
        reader.read(path, text, constraint=False, declaration_set=declaration_set or path.name, chain=(path,))
    return reader.manifest


_LARGE = 1 << 20
# (the workspace's folders, whether to read files outside them) for every read_requirements in the block of
# ``workspace_boundary``: a context variable, so each check's thread has its own
_BOUNDARY: contextvars.ContextVar[tuple[tuple[Path, ...], bool] | None] = contextvars.ContextVar(
    "venvsense_requirements_boundary", default=None)


@contextlib.contextmanager
def workspace_boundary(workspace: Sequence[Path], *, follow_outside: bool) -> Iterator[None]:
    """Within the block, requirements files are read with this boundary unless a call gives its own."""
    token = _BOUNDARY.set((tuple(workspace), follow_outside))
    try:
        yield
    finally:
        _BOUNDARY.reset(token)
# How much of one requirements file is read. The largest real ones (a pip-compile lock with hashes for a thousand
# packages) hold a few thousand requirements in a few MB; past these, the rest of the file is skipped with a
# VS206 saying so, so that a generated 700,000-line file costs a second, not minutes and gigabytes.
MAX_BYTES = 16 * 1024 * 1024
MAX_LINES = 20_000  # requirement and option lines (a continued line counts once; comments and blanks do not)


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@contextlib.contextmanager
def _gc_paused(pause: bool) -> Iterator[None]:
    """Pause the cyclic garbage collector while a large file is read: the reader makes hundreds of thousands
    of small objects and no cycles, and the collector's passes over them would double the reading time."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Reader:
    """The state of one ``read_requirements`` call: what has been read, and the manifest being filled. (A plain
    class: no dataclass methods are made for it at import.)"""

    def __init__(self, primary: bool, overrides: Mapping[Path, str], environ: Mapping[str, str], path: Path,
                 workspace: tuple[Path, ...] | None = None, follow_outside: bool = True) -> None:
        self.primary = primary
        self.overrides = overrides
        self.environ = environ
        self.path = path
        self.workspace = workspace
        self.follow_outside = follow_outside
        self.manifest = Manifest(path=path)
        self.cut: dict[Path, int] = {}  # files read only up to MAX_BYTES → their size
        self.already_read: set[tuple[Path, bool]] = set()  # (file, read as constraints)

    def own(self, path: Path) -> bool:
        """Whether ``path`` is the workspace's own: its real path (links followed) is inside a workspace folder."""
        if self.workspace is None:
            return True
        real = _real(path)
        return any(_inside(real, folder) for folder in self.workspace)

    def load(self, path: Path) -> str:
        override = self.overrides.get(path)
        if override is not None:
            if len(override) > MAX_BYTES:
                self.cut[path] = len(override.encode("utf-8", "surrogatepass"))
                override = override[: override.rfind("\n", 0, MAX_BYTES) + 1]
            return override.removeprefix("\ufeff")
        try:
            status = path.stat()
            if not stat.S_ISDIR(status.st_mode) and not stat.S_ISREG(status.st_mode):
                raise UnreadableFile(path, "is not a regular file")  # a device or a pipe could block forever
            with open(path, "rb") as handle:
                data = read_capped(handle, status.st_size, MAX_BYTES)
            if len(data) > MAX_BYTES:
                self.cut[path] = max(status.st_size, len(data))
                data = data[: data.rfind(b"\n", 0, MAX_BYTES) + 1]
        except ValueError:  # a NUL in the name
            raise UnreadableFile(path, "is not a valid file name") from None
        except OSError:
            return read_text(path)  # raises UnreadableFile, with the reason in words
        return decode_requirements(path, data)

    def read(self, path: Path, text: str, *, constraint: bool, declaration_set: str, chain: tuple[Path, ...]) -> None:
        self.already_read.add((path, constraint))
        self.manifest.files.append(path)
        lines = text.splitlines()
        compiled = lines if not constraint and is_compiled(text) else None
        base = path.parent
        out = self.manifest.constraints if constraint else self.manifest.declarations
        starts = editor_line_starts(text, len(lines))
        count = len(lines)
        index = 0
        # the declarations of plain lines from the last read of this file: after a one-character edit in an
        # editor, every other line is found here (same text, same line number) and not parsed again
        key = (path, self.primary, declaration_set, constraint)
        previous = remembered_lines(key) if compiled is None and starts is None else {}
        remembered: RememberedLines = {}
        read_lines = 0
        skipped: list[str] = []  # what the caps left out, said once at the top (where a person looks first)
        if path in self.cut:
            skipped.append(f"it is too large ({self.cut[path] / (1 << 20):,.0f} MB): only its first "
                           f"{MAX_BYTES >> 20} MB were read")
        while index < count:
            if read_lines >= MAX_LINES:
                skipped.append(f"it has more than {MAX_LINES:,} requirement lines: lines {index + 1:,} to {count:,} "
                               "were not read")
                break
            raw = lines[index]
            known = previous.get((index, raw))
            if known is not None:
                read_lines += 1
                out.append(known)
                remembered[(index, raw)] = known
                index += 1
                continue
            try:
                if starts is None and "${" not in raw and not raw.endswith("\\"):
                    # the common case, a requirement alone on its line, without building a logical line
                    line_text = raw
                    comment, cut = "", comment_start(raw) if "#" in raw else -1
                    if cut >= 0:
                        raw, comment = raw[:cut], raw[cut:].strip()
                    content = raw.strip()
                    if not content:
                        index += 1
                        continue
                    simple = None if content[0] == "-" or " -" in content else simple_requirement(content)
                    if simple is not None:
                        column = len(raw) - len(raw.lstrip())
                        range_ = Range(Position(index, column), Position(index, column + len(content)))
                        transitive = compiled is not None and only_via_packages(comment, index, compiled)
                        made = self.declaration(simple, path, range_, content, declaration_set, transitive)
                        read_lines += 1
                        out.append(made)
                        if compiled is None and starts is None:
                            remembered[(index, line_text)] = made
                        index += 1
                        continue
                line, index = next_logical_line(lines, index, starts, self.environ)
            except Exception:  # a reader never raises
                line, index = None, index + 1
            if line is None:
                continue
            read_lines += 1
            try:
                self.read_line(path, base, line, compiled, constraint=constraint, declaration_set=declaration_set,
                               chain=chain)
            except Exception as error:  # a reader never raises: say what went wrong instead
                self.invalid(path, line.range(0, len(line.text)), declaration_set,
                             f"venvsense could not read this line ({type(error).__name__}: {quote(str(error))})")
        if skipped:
            self.invalid(path, START, declaration_set, f"{path.name}: {'; '.join(skipped)}")
        if compiled is None:
            remember_lines(key, remembered)

    def declaration(self, parsed: ParsedRequirement, path: Path, range_: Range, written: str, declaration_set: str,
                    transitive: bool) -> Declaration:
        return Declaration(
            name=parsed.name, specifier=parsed.specifier, extras=parsed.extras, marker=parsed.marker,
            kind=parsed.kind, url=parsed.url, file=path, range=range_, group=MAIN, primary=self.primary,
            declaration_set=declaration_set, requirement=written, transitive=transitive,
        )

    def invalid(self, path: Path, range_: Range, declaration_set: str, message: str,
                package: str | None = None) -> None:
        self.manifest.findings.append(make(INVALID, message, path, range_, package=package,
                                           secondary=not self.primary, declaration_set=declaration_set))

    def read_line(self, path: Path, base: Path, line: LogicalLine, compiled: list[str] | None, *, constraint: bool,
                  declaration_set: str, chain: tuple[Path, ...]) -> None:
        text = line.text
        # break_args_options: the requirement is every " "-separated token before the first one starting "-"
        if text[0] == "-":
            args, options_at = "", 0
        else:
            split = text.find(" -")
            args, options_at = (text, len(text)) if split < 0 else (text[:split], split + 1)
        options: list[Option] = []
        if options_at < len(text):
            try:
                options = parse_options(text[options_at:], options_at)
            except OptionError as error:
                self.invalid(path, line.range(error.start, error.end), declaration_set, error.message)
        editables = [o for o in options if o.name == "--editable"]
        if args:
            written = args.rstrip()
            self.requirement(path, base, line, written, 0, len(written), editable=bool(editables),
                             constraint=constraint, declaration_set=declaration_set, compiled=compiled)
        elif editables:
            first = editables[0]
            self.requirement(path, base, line, first.value, first.value_start, first.value_end, editable=True,
                             constraint=constraint, declaration_set=declaration_set, compiled=None)
        elif any(o.name in ("--requirement", "--constraint") for o in options):
            includes = [o for o in options if o.name == "--requirement"]
            self.include(path, line, (includes or [o for o in options if o.name == "--constraint"])[0],
                         chain=chain)
        else:
            self.index_options(path, line, options, declaration_set)

    def requirement(self, path: Path, base: Path, line: LogicalLine, written: str, start: int, end: int, *,
                    editable: bool, constraint: bool, declaration_set: str, compiled: list[str] | None) -> None:
        range_ = line.range(start, end)
        if editable and constraint:
            self.invalid(path, range_, declaration_set, f"-e {quote(written)}: editable requirements are not "
                                                    "allowed as constraints")
            return
        try:
            parsed = parse_editable(written, base) if editable else parse_line_requirement(written, base)
        except Rejected as error:
            self.invalid(path, range_, declaration_set, error.message, error.package)
            return
        transitive = compiled is not None and only_via_packages(line.comment, line.last, compiled)
        declaration = self.declaration(parsed, path, range_, written, declaration_set, transitive)
        (self.manifest.constraints if constraint else self.manifest.declarations).append(declaration)

    def include(self, path: Path, line: LogicalLine, option: Option, *, chain: tuple[Path, ...]) -> None:
        # pip: -r in a constraints file includes requirements, -c in a requirements file constraints
        constraint = option.name == "--constraint"
        flag = "-c" if constraint else "-r"
        target = quote(option.value)
        range_ = line.range(option.value_start, option.value_end)
        if _INCLUDE_URL().match(target):
            if not target.lower().startswith("file:"):
                return  # a remote file: pip downloads it, a static reader cannot follow it
            from urllib.request import url2pathname  # not at start-up: it pulls in http.client and email

            location = url2pathname(urllib.parse.urlsplit(target).path)
            included = Path(os.path.abspath(location))
        else:
            included = Path(os.path.normpath(os.path.join(path.parent, option.value)))
        if included in chain:
            cycle = " → ".join(quote(p.name) for p in (*chain[chain.index(included):], included))
            self.manifest.findings.append(make(
                UNRESOLVABLE, f"{flag} {target}: the includes form a cycle ({cycle}); pip refuses the file",
                path, range_, secondary=not self.primary, declaration_set=path.name))
            return
        if (included, constraint) in self.already_read:
            return  # pip would read it again; its entries are here already
        site = self.manifest.outside.get(path, (path, range_))
        if not self.own(included):
            if not self.follow_outside:
                self.manifest.findings.append(make(
                    UNRESOLVABLE, f"{flag} {target}: not read, it is outside the workspace (the workspace is not "
                    "trusted)", path, range_, secondary=not self.primary, declaration_set=path.name))
                return
            self.manifest.outside[included] = site
        try:
            text = self.load(included)
        except UnreadableFile as error:
            self.manifest.findings.append(make(
                UNRESOLVABLE, f"{flag} {target}: {quote(included.name)} {error.reason}", path, range_,
                secondary=not self.primary, declaration_set=path.name))
            return
        self.read(included, text, constraint=constraint, declaration_set=included.name, chain=(*chain, included))

    def index_options(self, path: Path, line: LogicalLine, options: list[Option], declaration_set: str) -> None:
        # what pip's handle_option_line uses: the last --index-url, the first --find-links, all the others
        index_urls = [o for o in options if o.name == "--index-url"]
        find_links = [o for o in options if o.name == "--find-links"]
        for option in options:
            if option.name not in INDEX_OPTIONS or (option.name == "--index-url" and option is not index_urls[-1]) \
                    or (option.name == "--find-links" and option is not find_links[0]):
                continue
            range_ = line.range(option.start, option.end)
            self.manifest.index_options.append(IndexOption(option.name, option.value, path, range_))
            what = f"{option.name} {quote(option.value)}" if option.value else option.name
            self.manifest.findings.append(make(
                INDEX_OVERRIDE, f"{what} changes where packages come from", path, range_,
                secondary=not self.primary, declaration_set=declaration_set))
