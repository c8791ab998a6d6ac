"""Benchmark of the import scanner (``venvsense.imports``) against reading the files and ``ast.parse``.

    python benchmarks/bench_imports.py [--files 4300] [--seed 1] [--corpus DIR] [TREE ...]

Generates a realistic application tree (``generate_corpus``, reused by the end-to-end benchmarks) into
``--corpus`` (default ``benchmarks/.work/corpus``, git-ignored), then for it and every ``TREE`` given prints
the time to read every ``*.py`` file, to ``ast.parse`` them, and for the scanner's cold bulk scan (empty cache,
files read included) and warm scan (cache hits: one ``stat`` per file), with ratios.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import os
import platform
import random
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from venvsense import imports

STDLIB = (
    "os",
    "sys",
    "re",
    "json",
    "logging",
    "pathlib",
    "typing",
    "collections",
    "functools",
    "itertools",
    "dataclasses",
    "datetime",
    "asyncio",
    "subprocess",
    "contextlib",
    "enum",
    "abc",
    "io",
    "time",
    "uuid",
)
THIRD_PARTY = (
    "requests",
    "numpy",
    "pandas",
    "django.db.models",
    "flask",
    "sqlalchemy.orm",
    "pydantic",
    "attr",
    "click",
    "yaml",
    "boto3",
    "celery",
    "redis",
    "jinja2",
    "httpx",
    "rich.console",
)
OPTIONAL = ("ujson", "orjson", "lxml.etree", "simplejson", "uvloop", "cchardet")
WORDS = (
    "value",
    "record",
    "payload",
    "client",
    "session",
    "config",
    "result",
    "items",
    "handler",
    "from",
    "module",
    "request",
    "response",
    "cache",
    "queue",
    "user",
    "the",
    "of",
    "to",
    "is",
    "for",
    "with",
    "data",
    "when",
    "this",
    "that",
    "new",
    "old",
    "list",
    "each",
    "import",
    "imported",
    "important",
    "a",
    "an",
    "and",
    "or",
    "not",
    "by",
    "on",
    "in",
    "all",
    "any",
    "field",
    "name",
    "path",
    "file",
    "table",
    "query",
    "model",
    "view",
    "form",
    "task",
    "job",
    "event",
    "state",
    "error",
    "retry",
    "time",
)


def _sentence(rng: random.Random, count: int) -> str:
    words = [rng.choice(WORDS) for _ in range(count)]
    while words[0] in ("import", "from"):  # prose rarely starts a line with them
        words[0] = rng.choice(WORDS)
    return " ".join(words)


def _module(rng: random.Random, package: str, index: int, siblings: int) -> str:
    lines: list[str] = [f'"""{_sentence(rng, 6).capitalize()}.', "", f"{_sentence(rng, 14)}", '"""', ""]
    if rng.random() < 0.6:
        lines += ["from __future__ import annotations", ""]
    for name in rng.sample(STDLIB, rng.randint(3, 8)):
        lines.append(f"import {name}")
    lines.append("from typing import Any, Optional")
    for name in rng.sample(THIRD_PARTY, rng.randint(1, 4)):
        lines.append(f"import {name}" if rng.random() < 0.5 else f"from {name} import {rng.choice(WORDS)}_{index}")
    if rng.random() < 0.3:
        lines += [
            f"from .mod{rng.randrange(siblings)} import (",
            "    helper,",
            "    Thing as Other,  # re-export",
            ")",
        ]
    lines.append(f"from {package}.mod{rng.randrange(siblings)} import helper as _helper")
    if rng.random() < 0.3:
        lines += ["", "if TYPE_CHECKING:", f"    from {package}.mod{rng.randrange(siblings)} import Thing", ""]
    if rng.random() < 0.15:
        name = rng.choice(OPTIONAL)
        lines += [
            "",
            "try:",
            f"    import {name} as fast",
            "except ImportError:  # pragma: no cover",
            "    fast = None",
        ]
    lines += [
        "",
        f'LOG = logging.getLogger("{package}.mod{index}")',
        f'DEFAULT = {{"key": "import {rng.choice(WORDS)}", \'n\': {index}}}',
        "",
    ]
    lazy = rng.random() < 0.15
    templates = rng.random() < 0.05
    while len(lines) < 240:
        kind = rng.random()
        if kind < 0.55:
            name = f"Thing{len(lines)}"
            lines += [
                "",
                f"class {name}:",
                f'    """{_sentence(rng, 8)}."""',
                "",
                "    def __init__(self, value: int = 0) -> None:",
                "        self.value = value",
                "        self.items: list[str] = []",
                "",
                "    def render(self, other: Any) -> str:",
                f"        # {_sentence(rng, 7)}",
                "        if other is None:",
                f'            return f"{{self.value}} {_sentence(rng, 3)}"',
                "        parts = [str(item) for item in self.items",
                "                 if item]",
                "        for part in parts:",
                "            LOG.debug('part %s of %s', part, other)",
                "        return ', '.join(parts)",
                "",
            ]
            if lazy and rng.random() < 0.3:
                lines += [
                    "    def load(self) -> Any:",
                    f"        from {package}.mod{rng.randrange(siblings)} import helper",
                    "        import importlib",
                    "        return importlib.import_module(helper.__name__)",
                    "",
                ]
        elif kind < 0.9:
            lines += [
                "",
                f"def function_{len(lines)}(request: Any, *, retries: int = 3) -> Optional[dict[str, Any]]:",
                f'    """{_sentence(rng, 9)}.',
                "",
                f"    {_sentence(rng, 10)}",
                '    """',
                "    result = {",
                f'        "status": "{rng.choice(WORDS)}",',
                "        'count': len(request.items),",
                "    }",
                "    with open(request.path) as handle:",
                "        text = handle.read()",
                "    try:",
                "        result['data'] = json.loads(text)",
                "    except ValueError as error:",
                '        LOG.warning("cannot load %s: %s", request, error)',
                "        return None",
                "    return result",
                "",
            ]
        elif templates:
            lines += [
                "",
                f"TEMPLATE_{len(lines)} = '''",
                f"import {rng.choice(THIRD_PARTY)}  # not code: text in a string",
                f"{_sentence(rng, 12)}",
                "'''",
                "",
            ]
    if rng.random() < 0.2:
        lines += ["", 'if __name__ == "__main__":', "    function_0(None)"]
    return "\n".join(lines) + "\n"


def generate_corpus(dest: Path, files: int, seed: int) -> None:
    """Write ``files`` application modules (about 250 lines each) into ``dest``, in packages of 100."""
    rng = random.Random(seed)
    packages = max(1, (files + 99) // 100)
    written = 0
    for number in range(packages):
        package = f"app{number}"
        folder = dest / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text(f'"""Package {package}."""\n')
        written += 1
        count = min(99, files - written)
        for index in range(count):
            (folder / f"mod{index}.py").write_text(_module(rng, package, index, max(count, 1)))
        written += count
        if written >= files:
            break


def _measure(label: str, paths: list[Path]) -> None:
    gc.collect()
    started = time.perf_counter()
    datas = [path.read_bytes() for path in paths]
    read = time.perf_counter() - started

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for data in datas:
            with contextlib.suppress(SyntaxError, ValueError):
                ast.parse(data)
    parse = time.perf_counter() - started

    imports.clear_cache()
    gc.collect()
    started = time.perf_counter()
    results = imports.scan_files(paths)
    cold = time.perf_counter() - started

    started = time.perf_counter()
    imports.scan_files(paths)
    warm = time.perf_counter() - started

    lines = sum(data.count(b"\n") for data in datas)
    found = sum(len(result.imports) for result in results.values())
    print(f"\n{label}: {len(paths)} files, {lines:,} lines, {found:,} imports")
    print(f"  {'read only':<22}{read:8.3f} s")
    print(f"  {'ast.parse':<22}{parse:8.3f} s")
    print(f"  {'scanner, cold':<22}{cold:8.3f} s   {parse / cold:6.1f}x faster than ast.parse")
    print(f"  {'scanner, warm (cache)':<22}{warm:8.3f} s   {warm / cold:6.2f} of cold")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, help="real source trees to measure too")
    parser.add_argument("--corpus", type=Path, default=Path(__file__).parent / ".work" / "corpus")
    parser.add_argument("--files", type=int, default=4300)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    if not (arguments.corpus / "app0").is_dir():
        generate_corpus(arguments.corpus, arguments.files, arguments.seed)
    print(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    # compile the patterns once, as a long-running process would have
    imports.scan_source("import x\nif x:\n    import y\n")
    for tree in [arguments.corpus, *arguments.trees]:
        _measure(str(tree), list(imports.iter_python_files(tree)))


if __name__ == "__main__":
    main()
