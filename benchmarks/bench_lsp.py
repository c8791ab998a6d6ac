"""Benchmark: the language server as an editor feels it, over stdio (a minimal JSON-RPC client).

    .venv/bin/python benchmarks/bench_lsp.py [--edits 200] [--files 4000]

Measures, on projects generated under ``benchmarks/.work/lsp`` (gitignored):

* edit → ``textDocument/publishDiagnostics`` latency (p50/p95) for a 300-line ``requirements.txt`` and a
  2,000-line module: one line changed per edit (incremental sync), waiting for the diagnostics of that
  version; goal p95 ≤ 10 ms;
* server RSS after indexing a 4,000-file project (start-up check of every module done), twice: with nothing
  installed (each of its ~10,500 third-party imports a diagnostic: the worst case) and with its 16
  dependencies declared and installed (stand-in wheels); goal ≤ 60 MB;
* an external ``pip install`` (as in a terminal) → refreshed diagnostics, with a client that watches no
  files (the server's own poller); goal ≤ 2 s.
* a paste storm: ``--storm`` (2,000) incremental one-character ``didChange`` written back to back to the
  300-line ``requirements.txt`` and to the 2,000-line module (checks running meanwhile), then a
  ``venvsense/getStatus``: changes read and applied per second (goal ≥ 2,000/s) and how long that status
  waited (goal ≤ 100 ms after the last change was written).

* completion from the cache (``--only completion``): versions after ``==`` (300 versions) and names (a 20,000-name
  project list) in a 300-line ``requirements.txt``, answered once a loopback index (``tests/support/index.py``)
  was read and then stopped; p50/p95 against a hover on the same line (the peer, measured in the same run);
  goal p95 ≤ 20 ms.

``--only storm`` runs just the paste storm. ``--tree DIR [--open MODULE]`` measures a real checkout instead (its
venv installed in it, if any): the first diagnostics of ``MODULE`` opened as the server starts (goal ≤ 1 s), RSS
once every project is checked (goal ≤ 60 MB), and edit → diagnostics on ``MODULE`` (goal p95 ≤ 10 ms); e.g.
``--tree <checkouts>/saleor+saleor --open saleor/order/models.py`` (see ``bench_real.py`` for the checkouts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_imports import THIRD_PARTY, generate_corpus  # noqa: E402
from support.index import LocalIndex  # noqa: E402
from support.wheels import build_wheel, make_venv, pip_install  # noqa: E402

WORK = REPO / "benchmarks" / ".work" / "lsp"
# BENCH_PROFILE=FILE: the server runs under cProfile, its statistics written to FILE when it exits
PROFILE = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
SERVER = [sys.executable, *PROFILE, "-m", "venvsense", "serve"]


class Client:
    """A minimal JSON-RPC client on the server's stdio: it parses messages with ``json`` only, so what is
    timed is the server (an editor's own parsing is not pygls/cattrs in Python)."""

    def __init__(self) -> None:
        self.published: dict[str, dict[str, Any]] = {}
        self.first: dict[str, dict[str, Any]] = {}  # each document's first publication
        self.states: list[str] = []
        self.event = asyncio.Event()
        self._ids = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None

    async def start(self, folder: Path, env: dict[str, str]) -> None:
        # BENCH_STDERR=FILE keeps what the server logs (with VENVSENSE_LOG=DEBUG: each check's duration)
        log = os.environ.get("BENCH_STDERR")
        with open(log or os.devnull, "w") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                *SERVER, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr)
        self._reader_task = asyncio.ensure_future(self._read())
        await self.request("initialize", {
            "processId": os.getpid(), "rootUri": folder.as_uri(),
            "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True}}},
        })
        self.notify("initialized", {})

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    async def request(self, method: str, params: Any) -> Any:
        self._ids += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._ids] = future
        self._send({"id": self._ids, "method": method, "params": params})
        return await future

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        while True:
            length = 0
            while (line := await stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await stream.readexactly(length))
            method = message.get("method")
            if "id" in message and method is None:
                self._pending.pop(message["id"]).set_result(message.get("result"))
            elif "id" in message:
                self._send({"id": message["id"], "result": None})  # registerCapability, progress/create
            elif method == "textDocument/publishDiagnostics":
                self.published[message["params"]["uri"]] = message["params"]
                self.first.setdefault(message["params"]["uri"], message["params"])
                self.event.set()
            elif method == "venvsense/status":
                self.states = [p["state"] for p in message["params"]["projects"]]
                self.event.set()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def until(self, condition: Callable[[], bool], timeout: float = 120.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            self.event.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("the server did not answer in time")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.event.wait(), remaining)

    def idle(self) -> bool:
        return bool(self.states) and "busy" not in self.states

    async def stop(self) -> None:
        await self.request("shutdown", None)
        self.notify("exit", None)
        assert self._process is not None
        await self._process.wait()


def environment(wheels: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "UV_OFFLINE": "1"})
    return env


def fresh(name: str) -> Path:
    folder = WORK / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) the process has used so far: steadier than wall time on a loaded machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def edit_latency(client: Client, path: Path, line: int, variants: tuple[str, str], edits: int) -> list[float]:
    """Change ``line`` back and forth between two texts; the time until that version's diagnostics arrive."""
    uri = path.as_uri()
    text = path.read_text()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                            "text": text}})
    await client.until(lambda: uri in client.published and client.published[uri].get("version") == 1)
    return await edits_of_one_line(client, uri, line, text.splitlines()[line], variants, edits)


async def edits_of_one_line(client: Client, uri: str, line: int, current: str, variants: tuple[str, str],
                            edits: int) -> list[float]:
    """The edits of ``edit_latency`` on an open document at version 1."""
    timings: list[float] = []
    for version in range(2, edits + 2):
        new = variants[version % 2]
        started = time.perf_counter()
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": line, "character": 0},
                                          "end": {"line": line, "character": len(current)}}, "text": new}]})
        current = new
        await client.until(lambda v=version: client.published[uri].get("version") == v)  # type: ignore[misc]
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def paste_storm(client: Client, path: Path, changes: int) -> tuple[float, float]:
    """Type ``changes`` characters at the end of ``path``'s first line, one ``didChange`` each, as fast as the
    pipe takes them, then ask for the status: (changes read and applied per second, status wait in ms after
    the last change was written). The last version's diagnostics prove every change was applied."""
    uri = path.as_uri()
    text = path.read_text()
    column = len(text.splitlines()[0])
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                            "text": text}})
    await client.until(lambda: uri in client.published and client.published[uri].get("version") == 1)
    started = time.perf_counter()
    for version in range(2, changes + 2):
        at = {"line": 0, "character": column + version - 2}
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"range": {"start": at, "end": at}, "text": "#"}]})
    written = time.perf_counter()
    await client.request("venvsense/getStatus", None)
    answered = time.perf_counter()
    await client.until(lambda: client.published[uri].get("version") == changes + 1)
    return changes / (answered - started), (answered - written) * 1000


def requirements_project(wheels: Path) -> Path:
    root = fresh("requirements-300")
    lines = [f"pkg{n:03d}==1.0" for n in range(280)] + [f"lib{n:02d}>=1.0  # installed" for n in range(20)]
    (root / "requirements.txt").write_text("\n".join(lines) + "\n")
    make_venv(root / ".venv")
    pip_install(root / ".venv", *(f"lib{n:02d}" for n in range(20)), find_links=wheels)
    return root


def module_project(wheels: Path) -> Path:
    root = fresh("module-2000")
    (root / "requirements.txt").write_text("".join(f"lib{n:02d}\n" for n in range(20)))
    body = [f"import lib{n:02d}" for n in range(20)] + ["import os", "import json", ""]
    while len(body) < 2000:
        k = len(body)
        body += [f"def function_{k}(value):", f"    '''Function {k}: import nothing here.'''",
                 f"    return lib{k % 20:02d}.NAME + str(value) + os.sep", ""]
    (root / "app.py").write_text("\n".join(body[:2000]) + "\n")
    make_venv(root / ".venv")
    pip_install(root / ".venv", *(f"lib{n:02d}" for n in range(20)), find_links=wheels)
    return root


# the distributions that provide the corpus's third-party imports (stand-in wheels with those top-level modules)
CORPUS_DISTRIBUTIONS = {"requests": "requests", "numpy": "numpy", "pandas": "pandas", "django": "Django",
                        "flask": "Flask", "sqlalchemy": "SQLAlchemy", "pydantic": "pydantic", "attr": "attrs",
                        "click": "click", "yaml": "PyYAML", "boto3": "boto3", "celery": "celery", "redis": "redis",
                        "jinja2": "Jinja2", "httpx": "httpx", "rich": "rich"}


def big_project(files: int, wheels: Path, *, installed: bool) -> Path:
    """The generated application: with nothing installed but ``requests`` declared (every third-party import
    a VS301, the worst case for the index), or with its 16 distributions declared and installed."""
    assert {name.split(".")[0] for name in THIRD_PARTY} == set(CORPUS_DISTRIBUTIONS)
    root = fresh(f"corpus-{files}-{'installed' if installed else 'bare'}")
    generate_corpus(root / "src", files, seed=1)
    declared = sorted(CORPUS_DISTRIBUTIONS.values()) if installed else ["requests"]
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "big"\nversion = "1"\ndependencies = {json.dumps(declared)}\n')
    make_venv(root / ".venv")
    if installed:
        for module, distribution in CORPUS_DISTRIBUTIONS.items():
            build_wheel(wheels, distribution, "1.0", modules=[module])
        pip_install(root / ".venv", *CORPUS_DISTRIBUTIONS.values(), find_links=wheels)
    return root


async def indexed_rss(files: int, wheels: Path, env: dict[str, str], *, installed: bool) -> tuple[float, float, int]:
    """The server's RSS once the start-up check of the project is done, that check's time, and how many
    diagnostics it published."""
    root = big_project(files, wheels, installed=installed)
    client = Client()
    started = time.perf_counter()
    await client.start(root, env)
    await client.until(client.idle)
    indexed = time.perf_counter() - started
    await asyncio.sleep(0.5)
    rss = rss_mb(client.pid)
    published = sum(len(params["diagnostics"]) for params in client.published.values())
    await client.stop()
    return rss, indexed, published


async def main_async(args: argparse.Namespace) -> None:
    wheels = fresh("wheels")
    for n in range(20):
        build_wheel(wheels, f"lib{n:02d}", "1.0")
    build_wheel(wheels, "beta", "1.0")
    env = environment(wheels)
    results: list[tuple[str, str, str]] = []
    if args.tree is not None:
        await tree_case(args.tree.resolve(), args.open, args.edits, results)
        report(args, results)
        return
    if args.only == "storm":
        await storm_cases(wheels, env, args.storm, results)
        report(args, results)
        return
    if args.only == "completion":
        await completion_case(wheels, env, args.edits, results)
        report(args, results)
        return

    root = requirements_project(wheels)
    client = Client()
    await client.start(root, env)
    timings = await edit_latency(client, root / "requirements.txt", 150, ("pkg150==1.0", "pkg150==2.0"), args.edits)
    await client.stop()
    results.append(("edit → diagnostics, 300-line requirements.txt",
                    f"p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms",
                    "p95 ≤ 10 ms"))

    root = module_project(wheels)
    client = Client()
    await client.start(root, env)
    timings = await edit_latency(client, root / "app.py", 1000, ("x = 1", "x = 2"), args.edits)
    await client.stop()
    results.append(("edit → diagnostics, 2,000-line module",
                    f"p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms",
                    "p95 ≤ 10 ms"))

    for installed in (False, True):
        rss, indexed, published = await indexed_rss(args.files, wheels, env, installed=installed)
        state = "its 16 dependencies installed" if installed else "nothing installed"
        results.append((f"RSS after indexing a {args.files:,}-file project, {state}",
                        f"{rss:.1f} MB ({published:,} diagnostics, check {indexed:.2f} s)", "≤ 60 MB"))

    root = fresh("external-install")
    (root / "requirements.txt").write_text("beta\n")
    make_venv(root / ".venv")
    client = Client()
    await client.start(root, env)
    uri = (root / "requirements.txt").as_uri()
    await client.until(lambda: uri in client.published and len(client.published[uri]["diagnostics"]) == 1)
    refresh: list[float] = []
    for _ in range(args.installs):
        await asyncio.sleep(1.1)
        await asyncio.to_thread(pip_install, root / ".venv", "beta", find_links=wheels)
        done = time.perf_counter()
        await client.until(lambda: len(client.published[uri]["diagnostics"]) == 0)
        refresh.append(time.perf_counter() - done)
        await asyncio.to_thread(_uninstall, root / ".venv", "beta")
        await client.until(lambda: len(client.published[uri]["diagnostics"]) == 1)
    await client.stop()
    results.append(("external pip install → refreshed diagnostics (no client watching)",
                    f"median {statistics.median(refresh):.2f} s, max {max(refresh):.2f} s", "≤ 2 s"))

    await storm_cases(wheels, env, args.storm, results)
    report(args, results)


async def storm_cases(wheels: Path, env: dict[str, str], changes: int, results: list[tuple[str, str, str]]) -> None:
    for root, name in ((requirements_project(wheels), "requirements.txt"), (module_project(wheels), "app.py")):
        client = Client()
        await client.start(root, env)
        await client.until(client.idle)
        rate, wait = await paste_storm(client, root / name, changes)
        await client.stop()
        results.append((f"paste storm of {changes:,} changes, {name}",
                        f"{rate:,.0f} changes/s, status {wait:.0f} ms after the last", "≥ 2,000/s"))


async def tree_case(tree: Path, module: str, edits: int, results: list[tuple[str, str, str]]) -> None:
    """A real checkout (with its venv, if installed): the server started on it and ``module`` opened at once;
    how long until that file's first diagnostics, until the start-up check of every project is done, the RSS
    then, and edit → diagnostics on that module (its first line changed back and forth, a comment added)."""
    path = tree / module
    uri, text = path.as_uri(), path.read_text()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    client = Client()
    started = time.perf_counter()
    await client.start(tree, env)
    opened = time.perf_counter()
    opened_cpu = cpu_seconds(client.pid)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})
    await client.until(lambda: uri in client.published and client.published[uri].get("version") == 1, 600)
    first = time.perf_counter() - opened
    first_cpu = cpu_seconds(client.pid) - opened_cpu
    await client.until(client.idle, 600)
    indexed = time.perf_counter() - started
    await asyncio.sleep(0.5)
    rss = rss_mb(client.pid)
    published = sum(len(params["diagnostics"]) for params in client.published.values())
    # the first publication (the early findings of the opened module, lsp/early.py) is part of the final one
    first_shown = [json.dumps(d, sort_keys=True) for d in client.first[uri]["diagnostics"]]
    final_shown = {json.dumps(d, sort_keys=True) for d in client.published[uri]["diagnostics"]}
    kept = sum(d in final_shown for d in first_shown)
    line = text.splitlines()[0]
    timings = await edits_of_one_line(client, uri, 0, line, (f"{line}  # edit a", f"{line}  # edit b"), edits)
    await client.stop()
    results += [
        (f"{tree.name}: open {module} → first diagnostics (server just started)",
         f"{first:.2f} s (server CPU {first_cpu:.2f} s; {kept}/{len(first_shown)} of its diagnostics final, "
         f"of {len(final_shown)})", "≤ 1 s"),
        (f"{tree.name}: RSS after indexing", f"{rss:.1f} MB ({published:,} diagnostics, {indexed:.2f} s)",
         "≤ 60 MB"),
        (f"{tree.name}: edit → diagnostics, {module}",
         f"p50 {percentile(timings, 0.5):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms", "p95 ≤ 10 ms"),
    ]


async def completion_case(wheels: Path, env: dict[str, str], requests: int,
                          results: list[tuple[str, str, str]]) -> None:
    """Completion answered from the index cache (the index stopped), against a hover on the same line."""
    index = LocalIndex(fresh("index"))
    for n in range(300):
        index.add("pkg", f"{n // 100}.{n % 100}.0", publish=False)
    index.extra_names = [f"name{n:05d}" for n in range(20_000)]
    index.write()
    root = requirements_project(wheels)
    manifest = root / "requirements.txt"
    lines = manifest.read_text().splitlines()
    lines[150] = "pkg=="
    lines[151] = "name0"
    text = "\n".join(lines) + "\n"
    cache = fresh("cache")
    env = {**env, "PIP_INDEX_URL": index.start(), "PIP_NO_INDEX": "", "VENVSENSE_CACHE_DIR": str(cache),
           "PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1"}
    client = Client()
    await client.start(root, env)
    uri = manifest.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "pip-requirements",
                                                            "version": 1, "text": text}})
    await client.until(lambda: uri in client.published)

    def at(line: int, character: int) -> dict[str, Any]:
        return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}

    def known(answer: Any) -> bool:
        items = (answer or {}).get("items", [])
        return any(item["label"] in ("99.99.0", "2.99.0", "name00000") for item in items)

    for position in (at(150, 5), at(151, 5)):  # read the index once (the first answers are incomplete)
        deadline = time.perf_counter() + 60
        while not known(await client.request("textDocument/completion", position)):
            assert time.perf_counter() < deadline, "the index was never read"
    index.stop()
    kinds: dict[str, list[float]] = {"versions": [], "names": [], "hover": []}
    for _ in range(requests):
        for kind, method, position in (("versions", "textDocument/completion", at(150, 5)),
                                       ("names", "textDocument/completion", at(151, 5)),
                                       ("hover", "textDocument/hover", at(10, 2))):
            started = time.perf_counter()
            answer = await client.request(method, position)
            kinds[kind].append((time.perf_counter() - started) * 1000)
            assert answer, f"no {kind} answer"
    await client.stop()
    peer = percentile(kinds["hover"], 0.95)
    for kind in ("versions", "names"):
        timings = kinds[kind]
        p95 = percentile(timings, 0.95)
        results.append((f"completion from cache: {kind}",
                        f"p50 {statistics.median(timings):.1f}, p95 {p95:.1f} ms ({p95 / peer:.1f}x a hover's p95 "
                        f"{peer:.1f} ms)", "p95 ≤ 20 ms"))


def report(args: argparse.Namespace, results: list[tuple[str, str, str]]) -> None:
    print(f"venvsense LSP benchmark — {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}, {time.strftime('%Y-%m-%d')}, {args.edits} edits")
    width = max(len(r[0]) for r in results)
    for what, figure, goal in results:
        print(f"  {what:<{width}}  {figure:<40} goal {goal}")


def _uninstall(venv: Path, name: str) -> None:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "uninstall", "-y", "-q",
                    name], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--installs", type=int, default=3)
    parser.add_argument("--storm", type=int, default=2000)
    parser.add_argument("--only", choices=("storm", "completion"))
    parser.add_argument("--tree", type=Path, help="a real checkout: measure it alone (see tree_case)")
    parser.add_argument("--open", default="manage.py", help="the module of --tree to open (relative path)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
