"""The oracle: on real uv projects locked and synced offline from local wheels, then changed the ways a pull, a
branch switch or a hand-made install changes them, venvsense's VS401/VS402/VS403 say what uv itself says:

- VS401 (lock-outdated) is reported exactly when ``uv lock --check`` fails;
- VS402 (not-synced) names exactly the packages ``uv sync --check --frozen`` would install or reinstall (``+``),
  VS403 (not-in-lock) exactly those it would only remove (``-``); no finding exactly when it would change nothing.

(``--frozen``: against the lock as written, as VS402 means "not synced with uv.lock"; without it uv re-locks an
outdated lock in memory first, which VS401 says.) Every scenario is built here: wheels by ``support.wheels``, the
lock by ``uv lock --offline --find-links``, the venv by ``uv sync --offline``; nothing touches the network. Skips
when uv is not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.projects import findings, write
from support.wheels import build_wheel, make_project, uv_executable

pytestmark = pytest.mark.skipif(uv_executable() is None, reason="uv is not installed")

Mutation = Callable[[Path, "Uv"], None]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lock-wheels")
    build_wheel(folder, "alpha", "1.0")
    build_wheel(folder, "alpha", "2.0")
    build_wheel(folder, "beta", "1.0", requires=["gamma>=1"])
    build_wheel(folder, "gamma", "1.0")
    build_wheel(folder, "gamma", "1.1")
    build_wheel(folder, "delta", "1.0", extras={"fast": ["epsilon"]})
    build_wheel(folder, "epsilon", "1.0")
    build_wheel(folder, "win-only", "1.0")
    build_wheel(folder, "old-only", "1.0")
    build_wheel(folder, "new-only", "1.0")
    build_wheel(folder, "pytest-ish", "1.0")
    build_wheel(folder, "lint-tool", "1.0")
    build_wheel(folder, "stray", "1.0")
    return folder


@dataclass
class Uv:
    """uv run offline against the module's wheels, with no user configuration and the test's Python."""

    wheels: Path
    cache: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "PIP_"))}
        env.update({"UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never",
                    "UV_CACHE_DIR": str(self.cache), "UV_PYTHON": sys.executable, "NO_COLOR": "1"})
        return env

    def run(self, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        executable = uv_executable()
        assert executable is not None
        result = subprocess.run([str(executable), *args], cwd=cwd, env=self.env(), capture_output=True, text=True,
                                check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"uv {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def project(self, cwd: Path, command: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(cwd, command, "--offline", "--find-links", str(self.wheels), *args, check=check)

    def pip(self, cwd: Path, *args: str) -> None:
        self.run(cwd, "pip", *args[:1], "--python", str(cwd / ".venv"), *args[1:],
                 *(["--offline", "--find-links", str(self.wheels), "--no-deps"] if args[0] == "install" else []))


@dataclass
class Scenario:
    name: str
    files: dict[str, str]
    change: Mutation = field(default=lambda root, uv: None)
    sync_args: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # workspace members made as local projects (their pyproject's tail in files)
    # what `[tool.venvsense] lock-extras/lock-groups` configure, said to `uv sync --check` the way uv spells it
    check_args: tuple[str, ...] = ()


def _project(name: str, tail: str, version: str = "0.1") -> str:
    return (f'[build-system]\nrequires = []\nbuild-backend = "venvsense_test_backend"\nbackend-path = ["."]\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n{tail}')


BASE = _project("app", '''requires-python = ">=3.9"
dependencies = [
    "alpha>=1",
    "beta",
    "win-only; sys_platform == 'win32'",
    "old-only; python_version < '3.8'",
    "new-only; python_version >= '3.9'",
]

[project.optional-dependencies]
fast = ["delta[fast]"]

[dependency-groups]
dev = ["pytest-ish"]
lint = ["lint-tool"]
''')
DEFAULT_GROUPS = '\n[tool.uv]\ndefault-groups = ["dev", "lint"]\n'
LOCK_EXTRAS = '\n[tool.venvsense]\nlock-extras = ["fast"]\n'
ALL_EXTRAS = '\n[tool.venvsense]\nlock-extras = "*"\n'
LOCK_GROUPS = '\n[tool.venvsense]\nlock-groups = ["lint"]\n'


def _edit(old: str, new: str, file: str = "pyproject.toml") -> Mutation:
    def change(root: Path, uv: Uv) -> None:
        path = root / file
        text = path.read_text("utf-8")
        assert old in text, (old, text)
        path.write_text(text.replace(old, new, 1), "utf-8")
    return change


def _pip(*args: str) -> Mutation:
    return lambda root, uv: uv.pip(root, *args)


def _both(*changes: Mutation) -> Mutation:
    def change(root: Path, uv: Uv) -> None:
        for one in changes:
            one(root, uv)
    return change


def _new_member(root: Path, uv: Uv) -> None:
    make_project(root / "packages" / "libc", "libc", "0.1")


def _stale_member_lock(root: Path, uv: Uv) -> None:
    (root / "packages" / "liba" / "uv.lock").write_text(
        'version = 1\nrevision = 3\nrequires-python = ">=3.9"\n\n[[package]]\nname = "liba"\nversion = "0.1"\n'
        'source = { editable = "." }\ndependencies = [{ name = "gamma" }]\n\n[package.metadata]\n'
        'requires-dist = [{ name = "gamma" }]\n', "utf-8")


WORKSPACE = {
    "pyproject.toml": _project("ws", '''requires-python = ">=3.9"
dependencies = ["liba", "alpha"]

[dependency-groups]
dev = ["pytest-ish"]

[tool.uv.sources]
liba = { workspace = true }

[tool.uv.workspace]
members = ["packages/*"]
'''),
    "packages/liba/pyproject.toml": 'dependencies = ["beta"]\n\n[dependency-groups]\ndev = ["lint-tool"]\n',
    "packages/libb/pyproject.toml": 'dependencies = ["delta"]\n',
}
VIRTUAL = {
    "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n[dependency-groups]\ndev = ["pytest-ish"]\n',
    "packages/liba/pyproject.toml": 'dependencies = ["beta"]\n\n[dependency-groups]\ndev = ["lint-tool"]\n',
    "packages/libb/pyproject.toml": 'dependencies = ["alpha"]\n',
}
LIBS = ("packages/liba", "packages/libb")
# fastapi's shape: `dev` includes two groups that both hold the same requirement (and a requirement written twice);
# uv records it once in the lock's `requires-dev`
INCLUDED = BASE.replace('dev = ["pytest-ish"]', """dev = [{include-group = "tests"}, {include-group = "docs"}, "stray"]
tests = [{ include-group = "shared" }, "pytest-ish", "gamma>=1"]
docs = [{ include-group = "shared" }, "gamma>=1", "gamma>=1"]
shared = ["epsilon"]""")

SCENARIOS = [
    Scenario("synced", {"pyproject.toml": BASE}),
    Scenario("direct-removed", {"pyproject.toml": BASE}, _pip("uninstall", "alpha")),
    Scenario("transitive-removed", {"pyproject.toml": BASE}, _pip("uninstall", "gamma")),
    Scenario("direct-downgraded", {"pyproject.toml": BASE}, _pip("install", "alpha==1.0")),
    Scenario("transitive-downgraded", {"pyproject.toml": BASE}, _pip("install", "gamma==1.0")),
    Scenario("stray-added", {"pyproject.toml": BASE}, _pip("install", "stray")),
    Scenario("all-at-once", {"pyproject.toml": BASE},
             _both(_pip("install", "stray", "alpha==1.0"), _pip("uninstall", "new-only"))),
    Scenario("dependency-added", {"pyproject.toml": BASE}, _edit('"beta",', '"beta",\n    "stray",')),
    Scenario("dependency-removed", {"pyproject.toml": BASE}, _edit('    "beta",\n', "")),
    Scenario("specifier-changed", {"pyproject.toml": BASE}, _edit('"alpha>=1"', '"alpha<2"')),
    Scenario("marker-respelled", {"pyproject.toml": BASE},
             _edit("\"win-only; sys_platform == 'win32'\"", '"win-only ; sys_platform==\\"win32\\""')),
    Scenario("group-added", {"pyproject.toml": BASE}, _edit('lint = ["lint-tool"]', 'lint = ["lint-tool", "stray"]')),
    Scenario("extra-changed", {"pyproject.toml": BASE}, _edit('fast = ["delta[fast]"]', 'fast = ["delta"]')),
    Scenario("requires-python-changed", {"pyproject.toml": BASE}, _edit('">=3.9"', '">=3.10"')),
    Scenario("version-changed", {"pyproject.toml": BASE}, _edit('version = "0.1"', 'version = "0.2"')),
    Scenario("became-virtual", {"pyproject.toml": BASE}, _edit('[dependency-groups]', '[tool.uv]\npackage = false\n\n'
                                                                                      '[dependency-groups]')),
    Scenario("virtual-synced", {"pyproject.toml": BASE + '\n[tool.uv]\npackage = false\n'}),
    Scenario("synced-without-dev", {"pyproject.toml": BASE}, sync_args=("--no-dev",)),
    Scenario("synced-with-extra", {"pyproject.toml": BASE}, sync_args=("--extra", "fast")),
    Scenario("synced-with-group", {"pyproject.toml": BASE}, sync_args=("--group", "lint")),
    Scenario("synced-with-extra-configured", {"pyproject.toml": BASE + LOCK_EXTRAS}, sync_args=("--extra", "fast"),
             check_args=("--extra", "fast")),
    Scenario("synced-with-all-extras-configured", {"pyproject.toml": BASE + ALL_EXTRAS}, sync_args=("--all-extras",),
             check_args=("--all-extras",)),
    Scenario("synced-with-group-configured", {"pyproject.toml": BASE + LOCK_GROUPS}, sync_args=("--group", "lint"),
             check_args=("--group", "lint")),
    Scenario("group-configured-not-synced", {"pyproject.toml": BASE + LOCK_GROUPS}, check_args=("--group", "lint")),
    Scenario("default-groups", {"pyproject.toml": BASE + DEFAULT_GROUPS}),
    Scenario("default-groups-without-lint", {"pyproject.toml": BASE + DEFAULT_GROUPS},
             sync_args=("--no-group", "lint")),
    Scenario("marker-false-installed", {"pyproject.toml": BASE}, _pip("install", "win-only", "old-only")),
    Scenario("constraint-added", {"pyproject.toml": BASE + '\n[tool.uv]\nconstraint-dependencies = ["gamma<2"]\n'},
             _edit('"gamma<2"', '"gamma<1.1"')),
    Scenario("workspace-synced", WORKSPACE, members=LIBS),
    Scenario("workspace-member-dependency-removed", WORKSPACE, _pip("uninstall", "beta"), members=LIBS),
    Scenario("workspace-unselected-member-installed", WORKSPACE,
             lambda root, uv: uv.pip(root, "install", "-e", str(root / "packages" / "libb")), members=LIBS),
    Scenario("workspace-member-edited", WORKSPACE, _edit('dependencies = ["beta"]', 'dependencies = ["beta", "alpha"]',
                                                         "packages/liba/pyproject.toml"), members=LIBS),
    Scenario("workspace-member-added", WORKSPACE, _new_member, members=LIBS),
    Scenario("workspace-root-group-changed", WORKSPACE, _edit('dev = ["pytest-ish"]', 'dev = ["pytest-ish", "stray"]'),
             members=LIBS),
    Scenario("included-groups-synced", {"pyproject.toml": INCLUDED}),
    Scenario("included-groups-edited", {"pyproject.toml": INCLUDED}, _edit('shared = ["epsilon"]',
                                                                          'shared = ["epsilon", "alpha"]')),
    # pydantic: `pydantic-core==2.48.0` from the workspace is locked without its specifier
    Scenario("workspace-member-pinned", {**WORKSPACE, "pyproject.toml": WORKSPACE["pyproject.toml"].replace(
        'dependencies = ["liba", "alpha"]', 'dependencies = ["liba==0.1", "alpha"]')}, members=LIBS),
    # pydantic's pydantic-core/ keeps the uv.lock of before it was a member: uv never reads it
    Scenario("workspace-member-own-stale-lock", WORKSPACE, _stale_member_lock, members=LIBS),
    Scenario("virtual-root-synced", VIRTUAL, members=LIBS),
    Scenario("virtual-root-member-group-removed", VIRTUAL, _pip("uninstall", "lint-tool"), members=LIBS),
    Scenario("virtual-root-group-changed", VIRTUAL, _edit('dev = ["pytest-ish"]', 'dev = ["pytest-ish", "stray"]'),
             members=LIBS),
]

_CHANGE = re.compile(r"^ ([-+]) ([A-Za-z0-9._-]+)(?:==| @ )")


def _uv_says(root: Path, uv: Uv, check_args: tuple[str, ...]) -> tuple[bool, set[str], set[str]]:
    """(``uv lock --check`` fails, what ``uv sync --check --frozen`` would install, what it would only remove)."""
    outdated = uv.project(root, "lock", "--check", check=False).returncode != 0
    result = uv.project(root, "sync", "--check", "--frozen", *check_args, check=False)
    changes: dict[str, set[str]] = {}
    for line in (result.stdout + result.stderr).splitlines():
        match = _CHANGE.match(line)
        if match:
            changes.setdefault(re.sub(r"[-_.]+", "-", match[2]).lower(), set()).add(match[1])
    if result.returncode != 0 and "needs to be updated" in result.stderr:
        # a lock that misses a workspace member cannot be synced at all: uv says so, and VS401 is all there is
        assert outdated and not changes, result.stderr
        return outdated, set(), set()
    installs = {name for name, signs in changes.items() if "+" in signs}
    removals = {name for name, signs in changes.items() if signs == {"-"}}
    assert (result.returncode == 0) == (not installs and not removals), result.stderr
    return outdated, installs, removals


def _build(tmp_path: Path, scenario: Scenario, uv: Uv) -> Path:
    """The scenario's project (local projects built by the tests' in-tree backend), locked and synced by uv."""
    root = tmp_path / "project"
    for member in scenario.members:
        make_project(root / member, member.rsplit("/", 1)[-1], "0.1")
        with open(root / member / "pyproject.toml", "a", encoding="utf-8") as handle:
            handle.write(scenario.files[f"{member}/pyproject.toml"])
    named = re.search(r'^name = "([^"]+)"', scenario.files["pyproject.toml"], re.MULTILINE)
    if named:
        make_project(root, named[1], "0.1")
    write(root, {name: text for name, text in scenario.files.items()
                 if not any(name.startswith(member + "/") for member in scenario.members)})
    uv.project(root, "lock")
    uv.project(root, "sync", *scenario.sync_args)
    return root


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_venvsense_says_what_uv_says(tmp_path: Path, wheels: Path, scenario: Scenario) -> None:
    uv = Uv(wheels, tmp_path / "uv-cache")
    root = _build(tmp_path, scenario, uv)
    scenario.change(root, uv)
    outdated, installs, removals = _uv_says(root, uv, scenario.check_args)
    found = findings(root, "--select", "VS4")
    if os.environ.get("ORACLE_PRINT"):
        print(f"\nVERDICT {scenario.name} {outdated} {sorted(installs)} {sorted(removals)}")
    codes = {f["code"] for f in found}
    assert ("VS401" in codes) == outdated, (scenario.name, found)
    assert {f["package"] for f in found if f["code"] == "VS402"} == installs, (scenario.name, found)
    assert {f["package"] for f in found if f["code"] == "VS403"} == removals, (scenario.name, found)


def test_the_scenarios_cover_every_verdict() -> None:
    """At least 20 scenarios, among them each way uv can answer (checked by the oracle test above)."""
    assert len(SCENARIOS) >= 20
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)
