"""Document links (``textDocument/documentLink``) in manifests: a requirements file's ``-r``/``-c`` includes
(``--requirement``, ``--constraint``, with or without ``=``) to the file they name, and the URLs of its lines (a
``name @ https://…`` requirement, ``--index-url``, ``--find-links``, a VCS URL opened as its web address);
in ``pyproject.toml`` and a script's PEP 723 block, the URLs of declarations.

Links are read from the buffer's text as it is now (no check needed); comments are not searched (editors link
the URLs of plain text themselves). An include whose path holds an environment variable (``${VAR}``) is left
alone: its target is not known without the environment pip would run in.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from lsprotocol import types

from venvsense.lsp import convert
from venvsense.lsp.context import Context
from venvsense.lsp.features.declared import declarations_in, target_of
from venvsense.text import Position, Range

OPTIONS = types.DocumentLinkOptions(resolve_provider=False)
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?=[^\s=-]))(?P<path>\S+)")
_URL = re.compile(r"(?:(?:git|hg|svn|bzr)\+)?(?:https?|file)://[^\s\"'<>;,\]\)]+")
_VCS = re.compile(r"(?:git|hg|svn|bzr)\+")
_COMMENT = re.compile(r"(^|\s)#")
_NOT_REQUIREMENTS = frozenset({"pyproject.toml", "setup.cfg", "setup.py", ".python-version"})


def _web_target(url: str) -> str | None:
    """The address a URL of a requirement opens: ``git+https://host/x.git@v1#egg=x`` → ``https://host/x.git``."""
    vcs = _VCS.match(url)
    url = url[vcs.end():] if vcs else url
    parts = urlsplit(url.split("#", 1)[0])
    if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file" and not parts.netloc):
        return None
    path = parts.path
    if vcs and "@" in path.rsplit("/", 1)[-1]:  # a VCS revision: ``.../x.git@v1``
        path = path.rsplit("@", 1)[0]
    return parts._replace(path=path).geturl()


def _url_links(line: int, text: str, start: int = 0, end: int | None = None) -> list[tuple[Range, str, str]]:
    found = []
    for match in _URL.finditer(text, start, len(text) if end is None else end):
        web = _web_target(match.group())
        if web is not None:
            found.append((Range(Position(line, match.start()), Position(line, match.end())), web, f"Open {web}"))
    return found


def requirement_file_links(path: Path, text: str) -> list[tuple[Range, str, str]]:
    """(range, target URI, tooltip) of each include and URL of a requirements file's text."""
    found: list[tuple[Range, str, str]] = []
    for number, line in enumerate(text.splitlines()):
        comment = _COMMENT.search(line)
        code = line[: comment.start()] if comment else line
        if not code.strip():
            continue
        include = _INCLUDE.match(code)
        if include is not None:
            written = include.group("path")
            place = Range(Position(number, include.start("path")), Position(number, include.end("path")))
            if "://" in written:
                found.extend(_url_links(number, code, include.start("path")))
            elif "${" not in written:
                included = (path.parent / written).resolve()
                found.append((place, convert.uri_of(included), f"Open {written}"))
            continue
        found.extend(_url_links(number, code))
    return found


def document_link(ctx: Context, params: types.DocumentLinkParams) -> list[types.DocumentLink]:
    target = target_of(ctx, params.text_document.uri)
    if target is None:
        return []
    path, session = target.path, ctx.session
    links: list[tuple[Range, str, str]] = []
    if path.suffix == ".py" or path.name in _NOT_REQUIREMENTS:
        lines = session.lines_for(path) or []
        for declaration in declarations_in(ctx, target):
            if declaration.url and declaration.range.start.line == declaration.range.end.line < len(lines):
                range_ = declaration.range
                links.extend(_url_links(range_.start.line, lines[range_.start.line], range_.start.column,
                                        range_.end.column))
    elif path in target.report.files:
        text = session.text_of(path)
        links = requirement_file_links(path, text) if text is not None else []
    converter = session.converter_for(path)
    tooltips = ctx.client.supports("text_document.document_link.tooltip_support")
    return [types.DocumentLink(range=converter.range_to_client(range_), target=uri,
                               tooltip=tooltip if tooltips else None)
            for range_, uri, tooltip in links]
