"""poetry.lock, Pipfile.lock, pylock.toml and pdm.lock: read into the neutral lock model, what each tool selects for
a venv, and whether the lock is outdated — the hashes exactly as Poetry, pipenv and PDM compute them.

The real pairs under ``tests/data/locks/`` are copied from public repositories (the file hashes of each lock —
its ``files``/``hashes``/``wheels`` arrays — removed to keep them small; everything else byte for byte):

- ``poetry-core``: python-poetry/poetry-core @ c4d922c3183763f19b790c5123b5f9d4f5fa9eaf — Poetry 2.3.4,
  lock-version 2.1, ``[project]`` + ``[tool.poetry.group.*]``;
- ``fastapi-realworld``: nsidnev/fastapi-realworld-example-app @ 029eb7781c60d5f563ee8990a0cbfb79b244538c —
  lock-version 1.1, ``[tool.poetry]`` style with ``dev-dependencies``;
- ``pipenv``: pypa/pipenv @ 3f1b272abd51d7d7ab7f5935bb6b25da86e93e8b — a 2026 Pipfile.lock (hash of canonical
  names) and the pylock.toml pipenv wrote beside it;
- ``requests-html``: psf/requests-html @ 075ac162dc62fc532037df0d98954ab840a97516 — a 2019–2023 Pipfile.lock (plette's
  hash);
- ``pdm``: pdm-project/pdm @ a7e9d0015b4d5ca5d1b0c558582f9bf41b2fdf54 — lock_version 4.5.1, inherit_metadata;
- ``pipenv-2022``: pypa/pipenv @ 8886cb536ff941377b025566ab6aa0f67d0851e4 — pipenv of 2022 hashed ``[pipenv]`` too;
- ``pdm-2021``: pdm-project/pdm @ 762762a04c229c2af1db5b0a4bc29be1c0c7da36 — PDM 1, lock_version 3.1, no overrides
  in its hash.

``*-dry-run.txt`` beside them is what the tools themselves planned for an empty venv of CPython 3.11.7 on
Linux x86_64 (Poetry 2.5.1 ``poetry install --dry-run --no-root``, PDM 2.29.4 ``pdm sync --dry-run
--no-self``, on the unstripped files): the oracle of the selection tests.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from support.projects import findings, write
from support.wheels import build_wheel, pip_install, uv
from venvsense.declarations.locks import Lock, Selection, Target, outdated, read_lock, select
from venvsense.declarations.locks.pdm import content_hashes
from venvsense.declarations.locks.pipfile import pipfile_hashes
from venvsense.declarations.locks.poetry import content_hash
from venvsense.declarations.pipfile import read_pipfile
from venvsense.environment.pipcheck import marker_environment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data" / "locks"
LINUX = {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
         "implementation_name": "cpython", "platform_python_implementation": "CPython"}
WINDOWS = {**LINUX, "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
           "platform_machine": "AMD64"}


def target(python: str = "3.11.7", platform: dict[str, str] = LINUX, **asked: frozenset[str]) -> Target:
    return Target({**marker_environment(python), **platform}, **asked)


def pick(lock: Lock, wanted: Target) -> Selection:
    """What ``lock`` selects for ``wanted``, its manifests read from disk."""
    return select(lock, wanted, on_disk)


def copy_pair(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for source in (DATA / name).iterdir():
        if source.is_file():  # (a tool's cache folder a linter may have left beside a pyproject.toml is not data)
            (folder / source.name).write_bytes(source.read_bytes())
    return folder


def on_disk(path: Path) -> str | None:
    return path.read_text("utf-8") if path.is_file() else None


def edited(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(number for number, line in enumerate(path.read_text("utf-8").split("\n")) if needle in line)


# ---------------------------------------------------------------------------------------------------------
# The hashes, against the tools' own records


@pytest.mark.parametrize("name", ["poetry-core", "fastapi-realworld"])
def test_poetry_content_hash_is_poetrys_on_real_projects(tmp_path: Path, name: str) -> None:
    folder = copy_pair(tmp_path, name)
    lock = read_lock(folder / "poetry.lock")
    assert lock.error is None
    recorded = lock.data["metadata"]["content-hash"]
    pyproject = folder / "pyproject.toml"
    assert content_hash(tomllib.loads(pyproject.read_text("utf-8"))) == recorded
    assert outdated(lock, on_disk) == ()

    # a section Poetry does not hash: still current
    edited(pyproject, 'description = "', 'description = "Edited: ')
    assert outdated(lock, on_disk) == ()

    # a new dependency of a group: the hash changes, placed on the line that has no lock entry
    group = "[tool.poetry.group.dev.dependencies]\n" if name == "poetry-core" else "[tool.poetry.dev-dependencies]\n"
    edited(pyproject, group, group + 'brand-new-tool = "^1.0"\n')
    assert content_hash(tomllib.loads(pyproject.read_text("utf-8"))) != recorded
    (staleness,) = outdated(lock, on_disk)
    assert staleness.file == pyproject
    assert staleness.range.start.line == line_of(pyproject, "brand-new-tool")
    assert "poetry.lock is outdated" in staleness.message
    assert "brand-new-tool is not in poetry.lock" in staleness.message


def test_poetry_content_hash_styles_and_the_pre_2_3_form(tmp_path: Path) -> None:
    tool_only = {"tool": {"poetry": {"dependencies": {"python": "^3.9"}}}}
    # [tool.poetry] alone: the legacy keys at top level, missing ones as null (Poetry 1.x computed the same)
    expected = json.dumps({"dependencies": {"python": "^3.9"}, "dev-dependencies": None, "extras": None,
                           "source": None}, sort_keys=True)
    assert content_hash(tool_only) == hashlib.sha256(expected.encode()).hexdigest()
    pep621 = {"project": {"dependencies": ["a"]}, "dependency-groups": {"dev": ["b"]}}
    assert content_hash(pep621) != content_hash(pep621, with_dependency_groups=False)

    # a lock written by Poetry 2.2 did not hash [dependency-groups]: still current for Poetry after 2.3
    folder = tmp_path / "p"
    folder.mkdir()
    write(folder, {"pyproject.toml": '[project]\nname = "p"\ndependencies = ["a"]\n\n'
                                    '[dependency-groups]\ndev = ["b"]\n'})
    old = content_hash(tomllib.loads((folder / "pyproject.toml").read_text()), with_dependency_groups=False)
    for generator, current in (("2.2.1", True), ("2.3.0", False)):
        text = (f"# This file is automatically @generated by Poetry {generator} and should not be changed by hand.\n"
                f'\n[metadata]\nlock-version = "2.1"\npython-versions = "*"\ncontent-hash = "{old}"\n')
        lock = read_lock(folder / "poetry.lock", text)
        assert (outdated(lock, on_disk) == ()) is current, generator


@pytest.mark.parametrize("name", ["pipenv", "requests-html", "pipenv-2022"])
def test_pipfile_hash_is_pipenvs_on_real_projects(tmp_path: Path, name: str) -> None:
    folder = copy_pair(tmp_path, name)
    lock = read_lock(folder / "Pipfile.lock")
    assert lock.error is None
    recorded = lock.data["_meta"]["hash"]["sha256"]
    pipfile = folder / "Pipfile"
    assert recorded in pipfile_hashes(tomllib.loads(pipfile.read_text("utf-8")))
    assert outdated(lock, on_disk) == ()

    edited(pipfile, "[packages]\n", '[packages]\nbrand-new = "*"\n')
    assert recorded not in pipfile_hashes(tomllib.loads(pipfile.read_text("utf-8")))
    (staleness,) = outdated(lock, on_disk)
    assert staleness.file == pipfile and staleness.range.start.line == line_of(pipfile, "brand-new")
    assert "run `pipenv lock`" in staleness.message


def test_pipfile_hash_ignores_name_spelling_as_pipenv_2026_does(tmp_path: Path) -> None:
    folder = copy_pair(tmp_path, "pipenv")
    lock = read_lock(folder / "Pipfile.lock")
    edited(folder / "Pipfile", 'pytz = "*"', 'PyTZ = "*"')
    assert outdated(lock, on_disk) == ()
    edited(folder / "Pipfile", 'PyTZ = "*"', 'pytz = ">=2020"')  # a changed constraint is a change
    (staleness,) = outdated(lock, on_disk)
    assert staleness.file == lock.path  # pytz 2026.1.post1 satisfies >=2020: no line to name, the lock's first
    assert staleness.range.start.line == 0


@pytest.mark.parametrize(("name", "current", "group"), [("pdm", True, "[dependency-groups]\ntest = [\n"),
                                                       ("pdm-2021", False, "dependencies = [\n")])
def test_pdm_content_hash_is_pdms_on_a_real_project(tmp_path: Path, name: str, current: bool, group: str) -> None:
    folder = copy_pair(tmp_path, name)
    lock = read_lock(folder / "pdm.lock")
    assert lock.error is None
    algorithm, recorded = lock.data["metadata"]["content_hash"].split(":")
    pyproject = folder / "pyproject.toml"
    forms = content_hashes(tomllib.loads(pyproject.read_text("utf-8")), algorithm)
    assert recorded in forms and (forms[0] == recorded) is current  # PDM 1's form: an earlier one
    assert outdated(lock, on_disk) == ()

    edited(pyproject, group, group + '    "brand-new>=1",\n')
    assert recorded not in content_hashes(tomllib.loads(pyproject.read_text("utf-8")), algorithm)
    (staleness,) = outdated(lock, on_disk)
    assert staleness.range.start.line == line_of(pyproject, "brand-new") and "run `pdm lock`" in staleness.message


# ---------------------------------------------------------------------------------------------------------
# Reading real locks


@pytest.mark.parametrize("relative", ["poetry-core/poetry.lock", "fastapi-realworld/poetry.lock", "pdm/pdm.lock",
                                      "pdm-2021/pdm.lock", "pipenv/Pipfile.lock", "requests-html/Pipfile.lock",
                                      "pipenv-2022/Pipfile.lock", "pipenv/pylock.toml"])
def test_real_locks_read_every_entry_at_its_line(relative: str) -> None:
    path = DATA / relative
    text = path.read_text("utf-8")
    lock = read_lock(path)
    assert lock.error is None
    lines = text.split("\n")
    if path.name == "Pipfile.lock":
        data = json.loads(text)
        expected = {(canonicalize_name(name), category) for category in data if category != "_meta"
                    for name in data[category]}
        assert {(p.name, c) for p in lock.packages for c in p.categories} == expected
        for package in lock.packages:
            assert re.match(r'\s*"[^"]+": \{', lines[package.line])
            assert canonicalize_name(lines[package.line].split('"')[1]) == package.name
    else:
        key = "packages" if path.name == "pylock.toml" else "package"
        entries = tomllib.loads(text)[key]
        assert [(p.name, p.version) for p in lock.packages] == [
            (canonicalize_name(e["name"]), e.get("version")) for e in entries]
        for package in lock.packages:
            assert lines[package.line].strip() == f"[[{key}]]"
            assert canonicalize_name(lines[package.line + 1].split('"')[1]) == package.name


def test_real_locks_record_their_graph_sources_and_python() -> None:
    poetry = read_lock(DATA / "fastapi-realworld" / "poetry.lock")
    assert poetry.requires_python == ">=3.9,<4.0"
    (pydantic,) = poetry.by_name("pydantic")
    assert {d.name for d in pydantic.optional["email"]} == {"email-validator"}
    assert pydantic.categories == {"main"}
    pdm = read_lock(DATA / "pdm" / "pdm.lock")
    (anyio,) = pdm.by_name("anyio")
    assert anyio.categories == {"default", "test"}
    assert {d.name for d in anyio.dependencies} == {"exceptiongroup", "idna", "typing-extensions"}
    html = read_lock(DATA / "requests-html" / "Pipfile.lock")
    (project,) = [p for p in html.packages if p.source == "editable"]
    assert project.location == "." and project.categories == {"develop"}
    assert project.name == "requests-html" and pick(html, target()).own == {"requests-html"}
    # its Pipfile's made-up key for the same entry (`e1839a8 = {path = ".", editable = true}`) names nothing
    (local,) = [d for d in read_pipfile(DATA / "requests-html" / "Pipfile").declarations if d.kind == "editable"]
    assert local.name == "" and local.url is not None and local.url.startswith("file://")


# ---------------------------------------------------------------------------------------------------------
# Selection, against what the tools themselves planned


def planned(path: Path, pattern: str) -> dict[str, str]:
    return {canonicalize_name(m.group(1)): m.group(2) for m in re.finditer(pattern, path.read_text(), re.MULTILINE)}


@pytest.mark.parametrize("name", ["poetry-core", "fastapi-realworld"])
def test_poetry_selection_is_poetry_installs(tmp_path: Path, name: str) -> None:
    # lock-version 2.1: the per-group markers; 1.1: the graph walked from pyproject's declarations
    lock = read_lock(copy_pair(tmp_path, name) / "poetry.lock")
    selection = pick(lock, target())
    assert selection.error is None
    ours = {package: entry.version for package, entry in selection.packages.items()}
    assert ours == planned(DATA / name / "poetry-install-dry-run.txt", r"Installing (\S+) \((\S+)\)")


def test_poetry_selection_follows_markers_extras_and_optional_groups(tmp_path: Path) -> None:
    folder = copy_pair(tmp_path, "fastapi-realworld")
    lock = read_lock(folder / "poetry.lock")
    linux = pick(lock, target())
    assert "colorama" not in linux.packages  # only `platform_system == "Windows"` edges lead to it
    assert {"email-validator", "python-dotenv", "bcrypt", "pytest"} <= set(linux.packages)  # extras asked for
    assert "colorama" in pick(lock, target(platform=WINDOWS)).packages

    core = copy_pair(tmp_path, "poetry-core")
    edited(core / "pyproject.toml", "[tool.poetry.group.typing.dependencies]\n",
           "[tool.poetry.group.typing]\noptional = true\n\n[tool.poetry.group.typing.dependencies]\n")
    lock = read_lock(core / "poetry.lock")
    assert "mypy" not in pick(lock, target()).packages
    assert "mypy" in pick(lock, target(groups=frozenset({"typing"}))).packages
    assert "mypy" in pick(lock, target(groups=frozenset({"*"}))).packages  # the settings' "every group"
    # the group's marker (`platform_python_implementation != 'PyPy'`) evaluated for the venv
    pypy = {**LINUX, "platform_python_implementation": "PyPy", "implementation_name": "pypy"}
    assert "mypy" not in pick(lock, target(platform=pypy, groups=frozenset({"typing"}))).packages


def test_pdm_selection_is_pdm_sync(tmp_path: Path) -> None:
    lock = read_lock(copy_pair(tmp_path, "pdm") / "pdm.lock")
    ours = {package: entry.version for package, entry in pick(lock, target()).packages.items()}
    assert ours == planned(DATA / "pdm" / "pdm-sync-dry-run.txt", r"^  - (\S+) (\S+)$")


POETRY_2_1 = '''\
[[package]]
name = "shared"
version = "1.0"
optional = false
python-versions = "*"
groups = ["main", "dev"]
markers = {main = "sys_platform == 'win32'", dev = "python_version >= '3.12'"}

[[package]]
name = "fancy"
version = "2.0"
optional = true
python-versions = "*"
groups = ["main"]
markers = 'extra == "fancy"'

[[package]]
name = "docs-tool"
version = "3.0"
optional = false
python-versions = "*"
groups = ["docs"]

[extras]
fancy = ["fancy"]

[metadata]
lock-version = "2.1"
python-versions = ">=3.10"
content-hash = "0"
'''


def test_poetry_2_1_per_group_markers_extras_and_groups(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.poetry.group.docs]\noptional = true\n'
                                      '[tool.poetry.group.docs.dependencies]\ndocs-tool = "*"\n'})
    lock = read_lock(tmp_path / "poetry.lock", POETRY_2_1)
    assert lock.error is None
    assert set(pick(lock, target("3.11.7")).packages) == set()  # main: win32 only; dev: Python 3.12+
    assert set(pick(lock, target("3.12.1")).packages) == {"shared"}
    assert set(pick(lock, target("3.11.7", WINDOWS)).packages) == {"shared"}
    assert set(pick(lock, target("3.11.7", extras=frozenset({"fancy"}))).packages) == {"fancy"}
    assert set(pick(lock, target("3.11.7", extras=frozenset({"*"}))).packages) == {"fancy"}
    assert set(pick(lock, target("3.11.7", groups=frozenset({"docs"}))).packages) == {"docs-tool"}


PIPFILE_LOCK = '''\
{
    "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6, "requires": {"python_version": "3.11"}, "sources": []},
    "default": {
        "requests": {"version": "==2.31.0", "markers": "python_version >= '3.7'"},
        "pywin32": {"version": "==306", "markers": "sys_platform == 'win32'"},
        "six": {"version": "==1.16.0"}
    },
    "develop": {
        "six": {"version": "==1.15.0"},
        "pytest": {"version": "==8.0.0"},
        "me": {"editable": true, "path": "."}
    },
    "docs": {
        "sphinx": {"version": "==7.0.0"}
    }
}
'''


def test_pipfile_lock_selection_is_pipenv_install_dev(tmp_path: Path) -> None:
    lock = read_lock(tmp_path / "Pipfile.lock", PIPFILE_LOCK)
    assert lock.error is None and lock.requires_python == "==3.11.*"
    assert [(p.name, p.version) for p in lock.by_name("six")] == [("six", "1.16.0"), ("six", "1.15.0")]
    selection = pick(lock, target())
    assert set(selection.packages) == {"requests", "six", "pytest", "me"}
    assert selection.packages["six"].version == "1.16.0"  # default's pin
    assert selection.own == {"me"} and selection.packages["me"].version is None
    assert "pywin32" in pick(lock, target(platform=WINDOWS)).packages
    assert "sphinx" in pick(lock, target(groups=frozenset({"docs"}))).packages
    assert "sphinx" in pick(lock, target(groups=frozenset({"*"}))).packages


PYLOCK = '''\
lock-version = "1.0"
requires-python = ">=3.10"
environments = ["sys_platform == 'linux'", "sys_platform == 'win32'"]
extras = ["fast"]
dependency-groups = ["dev"]
default-groups = ["default"]
created-by = "hand"

[[packages]]
name = "base"
version = "1.0"
marker = "'default' in dependency_groups"
dependencies = [{name = "helper"}]
index = "https://pypi.org/simple"

[[packages]]
name = "helper"
version = "2.0"

[[packages]]
name = "speedup"
version = "3.0"
marker = "'fast' in extras"

[[packages]]
name = "pytest"
version = "8.0"
marker = "'dev' in dependency_groups and python_version >= '3.11'"

[[packages]]
name = "app"
directory = {path = ".", editable = true}
'''


def test_pylock_selection_is_pep_751s(tmp_path: Path) -> None:
    lock = read_lock(tmp_path / "pylock.toml", PYLOCK)
    assert lock.error is None
    assert [d.name for d in lock.packages[0].dependencies] == ["helper"]
    selection = pick(lock, target())
    assert set(selection.packages) == {"base", "helper", "app"} and selection.own == {"app"}
    asked = pick(lock, target(extras=frozenset({"fast"}), groups=frozenset({"dev"})))
    assert set(asked.packages) == {"base", "helper", "app", "speedup", "pytest"}
    every = pick(lock, target(extras=frozenset({"*"}), groups=frozenset({"*"})))
    assert set(every.packages) == set(asked.packages)
    assert "pytest" not in pick(lock, target("3.10.4", groups=frozenset({"dev"}))).packages
    darwin = pick(lock, target(platform={**LINUX, "sys_platform": "darwin"}))
    assert not darwin.packages and darwin.error is not None and "other environments" in darwin.error
    old = pick(lock, target("3.9.18"))
    assert not old.packages and old.error == "pylock.toml requires Python >=3.10; the venv has 3.9.18"


def test_pipenvs_pylock_selects_its_default_groups_and_dev_when_asked() -> None:
    lock = read_lock(DATA / "pipenv" / "pylock.toml")
    assert set(pick(lock, target()).packages) == {"pytz"}
    with_dev = pick(lock, target(groups=frozenset({"dev"})))
    assert {"pytest-cov", "invoke", "pytz"} <= set(with_dev.packages)
    assert "atomicwrites" not in with_dev.packages  # win32 only
    assert "sphinx" not in with_dev.packages  # `python_version >= '3.12'`
    assert "sphinx" in pick(lock, target("3.12.4", groups=frozenset({"dev"}))).packages


# ---------------------------------------------------------------------------------------------------------
# Bad input: a precise error, never an exception


@pytest.mark.parametrize(("name", "text", "message", "line"), [
    ("poetry.lock", '[[package]]\nname = "a"\nversion = \n', "is not valid TOML", 2),
    ("poetry.lock", '[metadata]\nlock-version = "9.0"\ncontent-hash = "0"\n', "lock-version '9.0'", 1),
    ("poetry.lock", '[[package]]\nname = "a"\nversion = "1"\n', "has no [metadata] table", 0),
    ("pdm.lock", '[metadata]\nlock_version = "5.0"\n', "lock_version '5.0'", 1),
    ("pdm.lock", "[metadata\n", "is not valid TOML", 0),
    ("pylock.toml", 'lock-version = "2.0"\n', "lock-version '2.0'", 0),
    ("pylock.toml", 'lock-version = "1.0"\nenvironments = ["sys_platform =="]\n', "invalid marker", 1),
    ("Pipfile.lock", '{\n  "_meta": {},\n  "default": {\n    "a": {"version": "==1"},\n  }\n}\n', "not valid JSON", 4),
    ("Pipfile.lock", "[1, 2]", "must hold a JSON object", 0),
    ("Pipfile.lock", '{"default": {}}', "has no _meta object", 0),
])
def test_malformed_locks_give_an_error_with_its_place(tmp_path: Path, name: str, text: str, message: str,
                                                      line: int) -> None:
    lock = read_lock(tmp_path / name, text)
    assert lock.error is not None and message in lock.error.message, lock.error
    assert lock.error.range.start.line == line
    assert pick(lock, target()).error is not None
    assert outdated(lock, on_disk) == ()


def test_a_bad_entry_is_reported_at_its_line_and_the_others_still_read(tmp_path: Path) -> None:
    text = ('[[package]]\nname = "good"\nversion = "1.0"\n\n[[package]]\nname = "bad"\nversion = "1.0"\n'
            'markers = "python_version >>> \'3\'"\n\n[metadata]\nlock-version = "2.0"\ncontent-hash = "0"\n')
    lock = read_lock(tmp_path / "poetry.lock", text)
    assert [p.name for p in lock.packages] == ["good"]
    assert lock.error is not None and "package 'bad'" in lock.error.message and lock.error.range.start.line == 4


@pytest.mark.parametrize("relative", ["poetry-core/poetry.lock", "pdm/pdm.lock", "pipenv/Pipfile.lock",
                                      "pipenv/pylock.toml"])
def test_truncated_real_locks_never_raise(tmp_path: Path, relative: str) -> None:
    text = (DATA / relative).read_text("utf-8")
    for cut in range(0, len(text), max(len(text) // 97, 1)):
        lock = read_lock(tmp_path / Path(relative).name, text[:cut])
        pick(lock, target())
        outdated(lock, lambda path: None)


# ---------------------------------------------------------------------------------------------------------
# pylock.toml written by uv reads back to uv.lock's packages


def test_uv_exported_pylock_reads_back_to_the_uv_lock(tmp_path: Path, uv_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "alpha", "1.0", requires=["beta>=1"])
    build_wheel(wheels, "beta", "2.0")
    build_wheel(wheels, "gamma", "3.0", requires=['delta; python_version < "3.9"'])
    build_wheel(wheels, "delta", "1.0")
    build_wheel(wheels, "winonly", "1.0")
    build_wheel(wheels, "pytestish", "1.0")
    build_wheel(wheels, "docsy", "1.0")
    project = write(tmp_path / "proj", {"pyproject.toml": '''\
[project]
name = "proj"
version = "0.1"
requires-python = ">=3.10"
dependencies = ["alpha", "winonly; sys_platform == 'win32'"]

[project.optional-dependencies]
fancy = ["gamma"]

[dependency-groups]
dev = ["pytestish"]
docs = ["docsy"]

[tool.uv]
package = false
'''})
    links = ("--offline", "--find-links", str(wheels))
    uv("lock", *links, cwd=project)
    uv("export", "--format", "pylock.toml", *links, "-o", "pylock.toml", cwd=project)
    uv("export", "--format", "pylock.toml", "--all-extras", "--all-groups", *links, "-o", "pylock.all.toml",
       cwd=project)
    locked = tomllib.loads((project / "uv.lock").read_text("utf-8"))["package"]
    in_uv_lock = {(canonicalize_name(p["name"]), p["version"]) for p in locked if p["name"] != "proj"}

    everything = read_lock(project / "pylock.all.toml")
    assert everything.error is None and everything.requires_python == ">=3.10"
    assert {(p.name, p.version) for p in everything.packages} == in_uv_lock
    assert set(pick(everything, target()).packages) == {name for name, _ in in_uv_lock} - {"winonly", "delta"}
    assert "winonly" in pick(everything, target(platform=WINDOWS)).packages

    default = read_lock(project / "pylock.toml")  # uv sync's defaults: the project's dependencies and `dev`
    assert set(pick(default, target()).packages) == {"alpha", "beta", "pytestish"}


# ---------------------------------------------------------------------------------------------------------
# The Pipfile as a manifest


def test_pipfile_declarations_land_on_their_lines(tmp_path: Path) -> None:
    pipfile = write(tmp_path, {"Pipfile": '''\
[[source]]
url = "https://pypi.org/simple"
name = "pypi"

[packages]
requests = "*"
django = {version = ">=4.2", extras = ["argon2"], markers = "python_version >= '3.10'"}
pywin32 = {version = "*", sys_platform = "== 'win32'"}
mine = {path = ".", editable = true}
fixed = "1.2.3"
broken = 3

[dev-packages]
pytest = "==8.*"

[docs]
sphinx = "*"

[requires]
python_version = "3.11"
'''}) / "Pipfile"
    manifest = read_pipfile(pipfile)
    found = {d.name: d for d in manifest.declarations}
    assert [(d.name, d.group, d.primary) for d in manifest.declarations] == [
        ("requests", "main", True), ("django", "main", True), ("pywin32", "main", True), ("mine", "main", True),
        ("fixed", "main", True), ("pytest", "dev-packages", False), ("sphinx", "docs", False)]
    assert found["django"].requirement == "django[argon2]>=4.2; python_version >= '3.10'"
    assert found["pywin32"].marker == 'sys_platform == "win32"'
    assert found["mine"].kind == "editable" and found["fixed"].specifier == "==1.2.3"
    assert found["pytest"].declaration_set == "Pipfile [dev-packages]"
    for declaration in manifest.declarations:
        assert declaration.range.start.line == line_of(pipfile, f"{declaration.name} =")
    (bad,) = manifest.findings
    assert bad.code == "VS206" and bad.range.start.line == line_of(pipfile, "broken =")
    assert manifest.requires_python is not None and manifest.requires_python[0] == "==3.11.*"


def test_a_broken_pipfile_is_a_finding_at_its_place(tmp_path: Path) -> None:
    pipfile = write(tmp_path, {"Pipfile": '[packages]\nrequests = "*"\nflask = \n'}) / "Pipfile"
    (finding,) = read_pipfile(pipfile).findings
    assert finding.code == "VS206" and "not valid TOML" in finding.message and finding.range.start.line == 2


def test_check_reports_a_pipfile_project_on_its_lines(project: Callable[..., Path]) -> None:
    root = project({"Pipfile": '''\
[packages]
alpha = "*"
beta = {version = ">=2", markers = "sys_platform == 'nonesuch'"}

[dev-packages]
gamma = "==1.0"

[requires]
python_version = "3.99"
'''})
    found = {(f["code"], f["file"], f["range"]["start"]["line"]) for f in findings(root)}  # type: ignore[index]
    assert ("VS201", "Pipfile", 2) in found  # alpha: declared, not installed
    assert ("VS201", "Pipfile", 6) in found  # gamma, in [dev-packages]
    assert not any(line == 3 for code, _, line in found)  # beta's marker holds nowhere
    assert ("VS103", "Pipfile", 9) in found  # the venv's Python is not 3.99


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    return folder


# ---------------------------------------------------------------------------------------------------------
# The lock rules (VS401–VS403) on each format, through the CLI


def _poetry_project(root: Path) -> tuple[str, str]:
    pyproject = ('[project]\nname = "app"\nversion = "0.1"\ndependencies = ["alpha", "beta>=1"]\n\n'
                 '[tool.poetry.group.dev.dependencies]\npytestish = "*"\n')
    entries = "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\noptional = false\npython-versions = "*"\n'
                      f'groups = ["{g}"]\n\n' for n, v, g in (("alpha", "1.0", "main"), ("beta", "2.0", "main"),
                                                              ("pytestish", "1.0", "dev")))
    lock = ("# This file is automatically @generated by Poetry 2.3.4 and should not be changed by hand.\n\n" + entries
            + f'[metadata]\nlock-version = "2.1"\npython-versions = "*"\n'
              f'content-hash = "{content_hash(tomllib.loads(pyproject))}"\n')
    write(root, {"pyproject.toml": pyproject, "poetry.lock": lock})
    return "pyproject.toml", "poetry.lock"


def _pdm_project(root: Path) -> tuple[str, str]:
    pyproject = ('[project]\nname = "app"\nversion = "0.1"\ndependencies = ["alpha", "beta>=1"]\n\n'
                 '[dependency-groups]\ndev = ["pytestish"]\n')
    entries = "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\ngroups = ["{g}"]\n\n'
                      for n, v, g in (("alpha", "1.0", "default"), ("beta", "2.0", "default"),
                                      ("pytestish", "1.0", "dev")))
    lock = ('# This file is @generated by PDM.\n\n[metadata]\ngroups = ["default", "dev"]\n'
            'strategy = ["inherit_metadata"]\nlock_version = "4.5.0"\n'
            f'content_hash = "sha256:{content_hashes(tomllib.loads(pyproject))[0]}"\n\n' + entries)
    write(root, {"pyproject.toml": pyproject, "pdm.lock": lock})
    return "pyproject.toml", "pdm.lock"


def _pipenv_project(root: Path) -> tuple[str, str]:
    pipfile = '[packages]\nalpha = "*"\nbeta = ">=1"\n\n[dev-packages]\npytestish = "*"\n'
    lock = {"_meta": {"hash": {"sha256": pipfile_hashes(tomllib.loads(pipfile))[0]}, "pipfile-spec": 6,
                      "requires": {}, "sources": []},
            "default": {"alpha": {"version": "==1.0"}, "beta": {"version": "==2.0"}},
            "develop": {"pytestish": {"version": "==1.0"}}}
    write(root, {"Pipfile": pipfile, "Pipfile.lock": json.dumps(lock, indent=4, sort_keys=True) + "\n"})
    return "Pipfile", "Pipfile.lock"


def _pylock_project(root: Path) -> tuple[str, str]:
    pyproject = '[project]\nname = "app"\nversion = "0.1"\ndependencies = ["alpha", "beta>=1"]\n'
    lock = 'lock-version = "1.0"\ncreated-by = "hand"\n\n' + "".join(
        f'[[packages]]\nname = "{n}"\nversion = "{v}"\n\n' for n, v in (("alpha", "1.0"), ("beta", "2.0"),
                                                                       ("pytestish", "1.0")))
    write(root, {"pyproject.toml": pyproject, "pylock.toml": lock})
    return "pyproject.toml", "pylock.toml"


@pytest.mark.parametrize("make", [_poetry_project, _pdm_project, _pipenv_project, _pylock_project])
def test_lock_rules_on_every_format(tmp_path: Path, venv_factory: Callable[..., Path],
                                    make: Callable[[Path], tuple[str, str]]) -> None:
    wheels = tmp_path / "wheels"
    for name, version in (("alpha", "1.0"), ("beta", "1.0"), ("gamma", "1.0")):
        build_wheel(wheels, name, version)
    root = tmp_path / "app"
    manifest, lock = make(root)
    pip_install(venv_factory(".venv", parent=root), "alpha==1.0", "beta==1.0", "gamma==1.0", find_links=wheels,
                args=("--no-deps",))

    def lock_findings() -> set[tuple[str, str, int, str]]:
        return {(str(f["code"]), str(f["file"]), f["range"]["start"]["line"], str(f.get("package") or ""))  # type: ignore[index]
                for f in findings(root) if str(f["code"]).startswith("VS4")}

    beta = line_of(root / manifest, "beta") + 1
    found = lock_findings()
    assert ("VS402", manifest, beta, "beta") in found  # 1.0 installed, 2.0 locked: on the declaration
    assert any(code == "VS402" and package == "pytestish" for code, _, _, package in found)
    assert ("VS403", lock, 1, "gamma") in found  # installed, not in the lock
    assert not any(code == "VS401" for code, *_ in found)

    edited(root / manifest, "beta", "delta = \"*\"\nbeta" if manifest == "Pipfile" else 'delta", "beta')
    found = lock_findings()
    if lock == "pylock.toml":  # no hash of its manifest: never outdated
        assert not any(code == "VS401" for code, *_ in found)
    else:
        assert ("VS401", manifest, line_of(root / manifest, "delta") + 1, "") in found
