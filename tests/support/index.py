"""A package index on the loopback interface for tests and benchmarks: a folder of PEP 691 JSON pages (and PEP 503
HTML pages beside them), real wheels built by ``support.wheels`` with their PEP 658 ``.metadata`` files, served by
``http.server`` in a thread, with ``ETag`` validators (``304 Not Modified``) and a request counter. No network
beyond ``127.0.0.1``.

    index = LocalIndex(tmp_path / "index")
    index.add("alpha", "1.0"); index.add("alpha", "2.0rc1"); index.add("alpha", "1.5", yanked=True)
    with index.serving() as url:      # http://127.0.0.1:<port>/simple/
        ...
    index.requests["/simple/alpha/"]  # how many times it was asked; index.not_modified counts 304s
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from support.wheels import build_wheel, normalize

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass
class _Release:
    wheel: Path
    yanked: bool
    requires_python: str | None
    upload_time: str | None


@dataclass
class LocalIndex:
    folder: Path
    html_only: bool = False  # serve PEP 503 HTML whatever the client accepts (an index without PEP 691)
    metadata: bool = True  # serve PEP 658 ``.metadata`` files (and say so in the pages)
    projects: dict[str, list[_Release]] = field(default_factory=dict)
    extra_names: list[str] = field(default_factory=list)  # more names in the project list (no pages)
    requests: Counter[str] = field(default_factory=Counter)
    not_modified: int = 0
    authorization: list[str | None] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def add(self, name: str, version: str, *, yanked: bool = False, requires_python: str | None = None,
            upload_time: str | None = None, extras: Mapping[str, Sequence[str]] | None = None,
            publish: bool = True) -> Path:
        """Build a wheel of ``name`` ``version`` into the index and (re)write its pages (``publish=False``: later,
        with ``write()``, for many at once)."""
        wheel = build_wheel(self.folder / "files", name, version, extras=extras)
        if requires_python:
            _set_requires_python(wheel, requires_python)
        releases = self.projects.setdefault(normalize(name), [])
        releases.append(_Release(wheel, yanked, requires_python, upload_time))
        if publish:
            self.write()
        return wheel

    def write(self) -> None:
        """Write every page: ``simple/index.json|html`` and ``simple/<name>/index.json|html``."""
        simple = self.folder / "simple"
        simple.mkdir(parents=True, exist_ok=True)
        names = sorted({*self.projects, *self.extra_names})
        (simple / "index.json").write_text(json.dumps({"meta": {"api-version": "1.1"},
                                                       "projects": [{"name": n} for n in names]}))
        (simple / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "".join(
            f'<a href="{n}/">{n}</a>\n' for n in names) + "</body></html>\n")
        for name, releases in self.projects.items():
            page = simple / name
            page.mkdir(exist_ok=True)
            files: list[dict[str, Any]] = []
            anchors: list[str] = []
            for release in releases:
                data = release.wheel.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                url = f"../../files/{release.wheel.name}"
                entry: dict[str, Any] = {"filename": release.wheel.name, "url": url, "hashes": {"sha256": digest}}
                attributes = ""
                if release.requires_python:
                    entry["requires-python"] = release.requires_python
                    attributes += f' data-requires-python="{html.escape(release.requires_python)}"'
                if release.yanked:
                    entry["yanked"] = True
                    attributes += ' data-yanked=""'
                if release.upload_time:
                    entry["upload-time"] = release.upload_time
                if self.metadata:
                    metadata = _metadata_of(release.wheel)
                    (release.wheel.parent / (release.wheel.name + ".metadata")).write_bytes(metadata)
                    entry["core-metadata"] = {"sha256": hashlib.sha256(metadata).hexdigest()}
                    attributes += f' data-core-metadata="sha256={entry["core-metadata"]["sha256"]}"'
                files.append(entry)
                anchors.append(f'<a href="{url}#sha256={digest}"{attributes}>{release.wheel.name}</a><br/>\n')
            (page / "index.json").write_text(json.dumps({"meta": {"api-version": "1.1"}, "name": name,
                                                         "files": files}))
            (page / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "".join(anchors) + "</body></html>\n")

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        """Serve the index on 127.0.0.1 (a free port) while the block runs; yields its simple-API URL."""
        self.start()
        try:
            yield self.url
        finally:
            self.stop()

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"index": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", getattr(self, "_port", 0)), handler)
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name="local-index").start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/simple/"


def _metadata_of(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name)


def _set_requires_python(wheel: Path, requires: str) -> None:
    """Add ``Requires-Python`` to a wheel's METADATA (the index page says it too)."""
    with zipfile.ZipFile(wheel) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    for name in members:
        if name.endswith(".dist-info/METADATA"):
            head, _, body = members[name].partition(b"\n\n")
            members[name] = head + f"\nRequires-Python: {requires}".encode() + b"\n\n" + body
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


class _Handler(BaseHTTPRequestHandler):
    index: LocalIndex

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        index = self.index
        path = self.path.split("?", 1)[0]
        index.requests[path] += 1
        index.authorization.append(self.headers.get("Authorization"))
        target = index.folder / path.lstrip("/")
        content_type = "application/octet-stream"
        if path.endswith("/"):
            wants_json = JSON_TYPE in (self.headers.get("Accept") or "") and not index.html_only
            target = target / ("index.json" if wants_json else "index.html")
            content_type = JSON_TYPE if wants_json else "text/html; charset=utf-8"
        if not target.is_file():
            self.send_error(404)
            return
        body = target.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            index.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)
