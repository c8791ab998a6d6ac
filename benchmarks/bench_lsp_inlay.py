"""Benchmark: the manifest features of the language server as an editor asks for them, over stdio.

    .venv/bin/python benchmarks/bench_lsp_inlay.py [--requests 200]

On a generated project (``benchmarks/.work/lsp-inlay``, gitignored): a 300-line ``requirements.txt`` (100 pins
installed, 50 installed at another version, 150 not installed), 40 modules importing the installed ones, a real
venv. With the minimal JSON-RPC client of ``bench_lsp.py`` (only ``json`` on the client side), it times:

* ``textDocument/inlayHint`` for the whole file (300 hints), goal p95 ≤ 20 ms;
* the same computed afresh (a new range each time, so no answer is reused: what the first request after a check
  costs);
* the same right after a one-line edit (``didChange`` then the request: the answer waits for that version's check),
  beside that edit's ``publishDiagnostics`` (the check it waits for);
* ``textDocument/codeLens`` for the whole file, ``textDocument/hover`` on a line, ``textDocument/references`` on a
  line, ``textDocument/documentLink`` for the whole file;
* the peer, in the same run and interleaved: ``venvsense/getStatus``, a request that does nothing but answer (the
  transport and the event loop), so each figure is also given as a ratio to it (this machine is shared and loaded).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_lsp import Client, environment, percentile  # noqa: E402
from support.wheels import build_wheel, make_venv, pip_install  # noqa: E402

WORK = REPO / "benchmarks" / ".work" / "lsp-inlay"
LINES = 300


def build(work: Path) -> Path:
    """The project and its venv (rebuilt each run: a few seconds)."""
    import shutil

    if work.exists():
        shutil.rmtree(work)
    wheels = work / "wheels"
    root = work / "project"
    root.mkdir(parents=True)
    for n in range(150):
        build_wheel(wheels, f"dist{n:03d}", "2.0", modules=[f"mod{n:03d}"])
    lines = [f"dist{n:03d}=={'2.0' if n < 100 else '1.0'}" for n in range(150)]
    lines += [f"absent{n:03d}>=1.0  # not installed" for n in range(LINES - 150)]
    (root / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for k in range(40):
        (root / "app").mkdir(exist_ok=True)
        (root / "app" / f"m{k:02d}.py").write_text(
            "".join(f"import mod{(k * 7 + j) % 150:03d}\n" for j in range(10)), encoding="utf-8")
    make_venv(root / ".venv")
    pip_install(root / ".venv", *(f"dist{n:03d}" for n in range(150)), find_links=wheels)
    return root


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await call()
    return (time.perf_counter() - started) * 1000, result


async def run(requests: int) -> list[tuple[str, list[float]]]:
    root = build(WORK)
    manifest = root / "requirements.txt"
    uri = manifest.as_uri()
    text = manifest.read_text()
    client = Client()
    await client.start(root, environment(root.parent / "wheels"))
    client.notify("workspace/didChangeConfiguration", {"settings": {"venvsense": {"codeLens": True}}})
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "pip-requirements",
                                                            "version": 1, "text": text}})
    await client.until(lambda: uri in client.published and client.published[uri].get("version") == 1)
    await client.until(client.idle)
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": LINES, "character": 0}}
    doc = {"textDocument": {"uri": uri}}
    hints = await client.request("textDocument/inlayHint", {**doc, "range": whole})
    assert len(hints) == LINES, f"expected {LINES} hints, got {len(hints)}"
    lenses = await client.request("textDocument/codeLens", doc)
    assert len(lenses) == LINES, f"expected {LINES} lenses, got {len(lenses)}"

    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "peer: venvsense/getStatus": lambda: client.request("venvsense/getStatus", None),
        "inlayHint, 300 lines": lambda: client.request("textDocument/inlayHint", {**doc, "range": whole}),
        "codeLens, 300 lines, again": lambda: client.request("textDocument/codeLens", doc),
        "hover on a declaration": lambda: client.request("textDocument/hover", {
            **doc, "position": {"line": 120, "character": 2}}),
        "references of a declaration": lambda: client.request("textDocument/references", {
            **doc, "position": {"line": 7, "character": 2}, "context": {"includeDeclaration": False}}),
        "documentLink, 300 lines": lambda: client.request("textDocument/documentLink", doc),
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(requests):  # interleaved: each round times every kind once
        for name, call in calls.items():
            timings[name].append((await timed(call))[0])
    # computed afresh each time: a new range (the answer kept is for one range), with the peer between
    cold = "inlayHint, 300 lines, another range each time"
    timings[cold] = []
    for round_ in range(requests):
        timings["peer: venvsense/getStatus"].append((await timed(calls["peer: venvsense/getStatus"]))[0])
        last = {"line": LINES + 1 + round_, "character": 0}
        timings[cold].append((await timed(lambda e=last: client.request(  # type: ignore[misc]
            "textDocument/inlayHint", {**doc, "range": {"start": whole["start"], "end": e}})))[0])

    # an edit, then the hints at once (the request waits for the check of that version); the peer: the same
    # edit's diagnostics (the check the hints wait for)
    after_edit: list[float] = []
    diagnostics: list[float] = []
    line, current = 200, text.splitlines()[200]
    for version in range(2, requests // 4 + 2):
        new = current + " " if version % 2 == 0 else current.rstrip()
        started = time.perf_counter()
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": line, "character": 0},
                                          "end": {"line": line, "character": len(current)}}, "text": new}]})
        current = new
        hinted = asyncio.ensure_future(client.request("textDocument/inlayHint", {**doc, "range": whole}))
        await client.until(lambda v=version: client.published[uri].get("version") == v)  # type: ignore[misc]
        diagnostics.append((time.perf_counter() - started) * 1000)
        answer = await hinted
        after_edit.append((time.perf_counter() - started) * 1000)
        assert len(answer) == LINES
    await client.stop()
    return [*timings.items(), ("edit → publishDiagnostics of that version", diagnostics),
            ("edit → inlayHint of that version", after_edit)]


def in_process(rounds: int) -> list[tuple[str, list[float]]]:
    """The hints of the whole file computed in this process from a check of the project: with each hint's JSON
    kept from the last request (a keystroke's new report, the same venv) and with none kept (the first request
    after the venv changed)."""
    from pygls.workspace import PositionCodec

    from venvsense.check import check_project
    from venvsense.lsp.convert import PositionConverter
    from venvsense.lsp.features.inlay import HINTS, hints_json
    from venvsense.model import project_at

    root = (WORK / "project").resolve()
    report = check_project(project_at(root))
    manifest = root / "requirements.txt"
    declarations = [d for d in report.declarations if d.file == manifest]
    lines = manifest.read_text().splitlines()
    converter = PositionConverter(PositionCodec(), lines)
    kept: list[float] = []
    fresh: list[float] = []
    for _ in range(rounds):
        for into, clear in ((fresh, True), (kept, False)):
            if clear:
                HINTS.clear()
            started = time.perf_counter()
            text = hints_json(report, declarations, lines, converter, "utf-16", 0, LINES)
            into.append((time.perf_counter() - started) * 1000)
            assert text.count('"label"') == LINES
    return [("in process: hints JSON kept (same venv)", kept), ("in process: none kept (the venv changed)", fresh)]


def report(results: list[tuple[str, list[float]]]) -> None:
    peer = statistics.median(results[0][1])
    print(f"venvsense manifest features, {platform.python_implementation()} {platform.python_version()}, "
          f"{len(results[1][1])} requests each (the peer twice as many)")
    print("| request | p50 ms | p95 ms | p50 / peer |")
    print("|---|---|---|---|")
    for name, values in results:
        p50 = statistics.median(values)
        print(f"| {name} | {p50:.2f} | {percentile(values, 0.95):.2f} | {p50 / peer:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    results = asyncio.run(run(args.requests))
    report(results)
    local = in_process(args.requests)
    print()
    print("| in process | p50 ms | p95 ms | p50 / kept |")
    print("|---|---|---|---|")
    for name, values in local:
        print(f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.95):.2f} | "
              f"{statistics.median(values) / statistics.median(local[0][1]):.1f} |")


if __name__ == "__main__":
    main()
