"""A dotted name of 50,000 parts (issue 12, item 8): time and memory linear in its length.

Measured as a bound on the check's peak memory (``tracemalloc``): a quadratic step that holds every prefix of
the name at once needs gigabytes here. A quadratic step that makes each prefix and drops it (trying every
prefix against a table) shows only in time: ~100 s here against under 1 s, so a bound of 30 s (generous for
a loaded machine) is kept as well.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support.projects import write
from support.wheels import build_wheel, pip_install, site_packages
from support.work import calls
from venvsense.check import check_project
from venvsense.dotted import DottedNames
from venvsense.mapping import covers
from venvsense.model import project_at

PARTS = 50_000
DEEP = ".".join(["a"] * PARTS)  # 100 KB
# before the fix: 2.4 GB for one such import; a check of a one-file project peaks at ~50 MiB under tracemalloc (the
# curated table, the venv read), and the 50,000-part name adds ~6 MiB: linear, far from the bound
_BOUND = 128 << 20
_CALLS = 20 * PARTS  # ~7 per part measured; a step per prefix would be PARTS ** 2


@pytest.fixture(scope="module")
def venv(session_venv_factory: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a distribution providing `a` whose name has dashes (the name-against-import comparison), a namespace
    # portion `a.b` (the RECORD layout walk) and one a module map names
    wheels = tmp_path_factory.mktemp("deep-wheels")
    build_wheel(wheels, "a-b-c", "1.0", modules=["a"])
    build_wheel(wheels, "a-ns", "1.0", modules=[], top_level=False,
                files={"a/b/__init__.py": "", "a/b/c.py": ""})
    made = session_venv_factory()
    pip_install(made, "a-b-c", "a-ns", find_links=wheels, args=("--no-deps",))
    # and a RECORD naming a file 50,000 folders deep (a hostile venv inside the workspace)
    (record,) = site_packages(made).glob("a_ns-1.0.dist-info/RECORD")
    with record.open("a", encoding="utf-8") as handle:
        handle.write("a/" * PARTS + "deep.py,,\n")
    return made


@pytest.mark.parametrize("source", [
    f"import {DEEP}\n",
    f"from {DEEP} import a\n",
    f"import {DEEP} as alias\n",
    f"from .{DEEP} import a\n",
    f"import importlib\nimportlib.import_module('{DEEP}')\n",
])
def test_a_dotted_name_of_50000_parts_is_checked_in_linear_memory(tmp_path: Path, venv: Path, source: str) -> None:
    root = write(tmp_path / "deep", {
        "pyproject.toml": '[project]\nname = "deep"\nversion = "0"\ndependencies = ["a-b-c", "never-used"]\n'
                          '[tool.venvsense]\nvenv = "' + str(venv) + '"\n'
                          '[tool.venvsense.module-map]\n"x.y.z" = "never-used"\n'
                          # a key of 50,000 parts that is not a prefix of the import: every part is compared
                          f'"{DEEP[:-1]}b" = "never-used"\n',
        "deep/__init__.py": "",
        "deep/mod.py": source,
    })
    tracemalloc.start()
    try:
        report = check_project(project_at(root))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < _BOUND, f"{peak / 2**20:.0f} MiB"
    # the work, counted (not timed) in a second check, apart from the memory (the profiler's own records would
    # count against the bound): a step per part of the name is fine, not one per prefix
    _, made = calls(lambda: check_project(project_at(root)))
    assert made < _CALLS, f"{made:,} calls"
    codes = {f.code for f in report.findings}
    assert "VS303" in codes  # the check ran to the end: `never-used` is reported
    assert report.usage is not None and any(len(i.module) >= 2 * PARTS - 1 for i in report.usage.imports
                                            ) == (not source.startswith("import importlib"))


def test_dotted_names_cover_what_a_set_of_prefixes_did() -> None:
    names = DottedNames(["google.cloud.storage.blob", "yaml", "zope"])
    for used in ("google", "google.cloud", "google.cloud.storage", "google.cloud.storage.blob", "yaml",
                 "zope.interface", "zope.interface.deep"):
        assert names.covers(used), used
    for unused in ("goog", "google.api", "google.cloud.storage.blob2", "yam", "yaml2", "zop", ""):
        assert not names.covers(unused), unused
    assert not DottedNames()
    assert not DottedNames().covers("a")


def test_a_deep_name_makes_as_many_edges_as_it_has_parts() -> None:
    tracemalloc.start()
    try:
        names = DottedNames([DEEP])
        assert names.covers("a") and names.covers(DEEP) and names.covers(DEEP + ".b") and not names.covers("b")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, f"{peak / 2**20:.0f} MiB"


_NAMES = st.lists(st.sampled_from(["a", "b", "ab", "a_b"]), min_size=1, max_size=4).map(".".join)


@given(st.lists(_NAMES, max_size=6), _NAMES)
def test_dotted_names_answer_as_covers_does_for_each_name(names: list[str], provided: str) -> None:
    assert DottedNames(names).covers(provided) == any(covers(provided, name) for name in names)
