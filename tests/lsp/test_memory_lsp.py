"""The server's memory: it starts without OpenSSL loaded (``lsp/memory.py``, ~4.5 MB of RSS), and a process
that imported its modules that way still has working digests and, on demand, TLS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session

LINUX = sys.platform.startswith("linux")


def mapped_libraries(pid: int) -> set[str]:
    with open(f"/proc/{pid}/maps", encoding="utf-8") as maps:
        return {Path(line.split()[-1]).name for line in maps if len(line.split()) > 5}


@pytest.mark.skipif(not LINUX, reason="reads /proc/PID/maps")
@pytest.mark.asyncio(loop_scope="function")
async def test_the_server_checks_a_project_without_loading_openssl(make_project: ProjectMaker) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",),
                        files={"app.py": "import alpha\nimport beta\n"})
    async with lsp_session(root) as session:
        await session.wait_codes(root / "app.py", lambda codes: codes == ["VS301"], timeout=60)
        process = session.client._server
        assert process is not None
        libraries = mapped_libraries(process.pid)
        assert any(name.startswith("libpython") or name.startswith("python") for name in libraries)
        assert not any(name.startswith(("libcrypto", "libssl", "_ssl.", "_hashlib.")) for name in libraries)


PROBE = """
import sys
from venvsense.lsp.memory import openssl_deferred
with openssl_deferred():
    import hashlib, asyncio
    import venvsense.lsp.server
    assert sys.modules["_hashlib"] is None and sys.modules["_ssl"] is None
assert "_hashlib" not in sys.modules and "_ssl" not in sys.modules
assert hashlib.sha256(b"venvsense").hexdigest() == {sha256!r}
assert hashlib.new("blake2b", b"x").hexdigest() == {blake2b!r}
import ssl  # lifted: TLS loads on demand (the index client's first HTTPS request)
ssl.create_default_context()
print("ok")
"""


def test_digests_and_tls_still_work_after_the_deferred_import() -> None:
    import hashlib

    code = PROBE.format(sha256=hashlib.sha256(b"venvsense").hexdigest(),
                        blake2b=hashlib.new("blake2b", b"x").hexdigest())
    server = Path(__file__).resolve().parents[2] / "server"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(server), "PATH": ""}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_a_process_that_already_loaded_openssl_keeps_it() -> None:
    code = ("import sys, hashlib\nfrom venvsense.lsp.memory import openssl_deferred\n"
            "loaded = sys.modules['_hashlib']\nwith openssl_deferred():\n"
            "    assert sys.modules['_hashlib'] is loaded\nassert sys.modules['_hashlib'] is loaded\nprint('ok')\n")
    server = Path(__file__).resolve().parents[2] / "server"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(server), "PATH": ""}, check=False)
    assert result.returncode == 0, result.stderr


COMPACTED = """
import sys, types, attrs, json
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from venvsense.lsp.memory import GENERATED, compact_generated_methods

@attrs.define
class Item:
    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    tags: list[str] = attrs.field(factory=list)
    size: int = attrs.field(default=1, converter=int)

@attrs.frozen
class Frozen:
    value: int

converter = default_converter()
message = {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 3, "character": 7}}

def behaviour():
    params = converter.structure(message, lsp.HoverParams)
    item = Item("a", size="3")
    try:
        Item(3)
        rejected = False
    except TypeError:
        rejected = True
    try:
        Frozen(1).value = 2
        frozen = False
    except attrs.exceptions.FrozenInstanceError:
        frozen = True
    return (json.dumps(converter.unstructure(params), sort_keys=True), repr(params), params == converter.structure(
        message, lsp.HoverParams), params != lsp.HoverParams(params.text_document, lsp.Position(0, 0)),
        repr(item), item == Item("a", [], 3), item.tags is not Item("a").tags, rejected, frozen,
        hash(Frozen(1)) == hash(Frozen(1)), repr(lsp.Diagnostic(lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1)),
        "m", code="VS301")))

before = behaviour()
replaced = compact_generated_methods(("lsprotocol", "pygls", "__main__"))
after = behaviour()
assert before == after, (before, after)
assert replaced > 1000, replaced
generated = [method for module in (lsp, sys.modules["__main__"]) for cls in vars(module).values()
             if isinstance(cls, type) for method in vars(cls).values()
             if isinstance(method, types.FunctionType) and method.__code__.co_filename.startswith(GENERATED)]
assert len(generated) > 1000
assert max(len(method.__globals__) for method in generated) < 40, max(len(m.__globals__) for m in generated)
assert compact_generated_methods(("lsprotocol", "pygls", "__main__")) == 0  # once is enough
print("ok")
"""


def test_compacted_generated_methods_behave_as_before() -> None:
    server = Path(__file__).resolve().parents[2] / "server"
    result = subprocess.run([sys.executable, "-c", COMPACTED], capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(server), "PATH": ""}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


ARENAS = """
import sys, threading
if sys.argv[1] == "one":
    from venvsense.lsp.memory import single_malloc_arena
    single_malloc_arena()
kept = []
def work():  # what a check in the server's worker thread does: many objects beyond pymalloc's 512 bytes
    kept.extend(bytes(1000 + i % 7) for i in range(20000))
worker = threading.Thread(target=work)
worker.start()
worker.join()
reserved = 0  # glibc's per-thread arenas: 64 MB reserved, the unused part mapped without access
for line in open("/proc/self/maps"):
    parts = line.split()
    start, end = (int(x, 16) for x in parts[0].split("-"))
    reserved += parts[1] == "---p" and len(parts) == 5 and end - start > 32 << 20
print(reserved)
"""


@pytest.mark.skipif(not LINUX, reason="glibc's malloc arenas, read from /proc/self/maps")
@pytest.mark.parametrize(("mode", "arenas"), [("one", "0"), ("default", "1")])
def test_worker_threads_allocate_from_the_main_malloc_arena(mode: str, arenas: str) -> None:
    server = Path(__file__).resolve().parents[2] / "server"
    result = subprocess.run([sys.executable, "-c", ARENAS, mode], capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(server), "PATH": ""}, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == arenas  # "default": the test sees a thread's arena when there is one
