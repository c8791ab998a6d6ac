"""The memo of ``venvsense check`` (``cli.memo``), held against the engine: a real project (a venv with
wheels installed, a uv lock, a workspace member, a PEP 723 script, requirement files, a ``.gitignore``), checked
once, then changed one way at a time; after each change the memoised run must print what a run without any
cache prints, and an unchanged tree must be answered from the memo. ``VENVSENSE_MEMO_TRACE=1`` makes the CLI say
on stderr what the memo did (``hit``, ``miss: ...``, ``stored``, ``not stored: ...``): that is how these tests
know a hit from a miss.

A run is memoised only when its inputs are older than two seconds (``venvsense.RACY_NS``); the tests date every file
and folder of the tree back (``_age``) after writing it, as a tree that was not being edited would be, rather
than waiting."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import write
from support.wheels import build_wheel, make_venv, pip_install, venv_python
from venvsense.cli.memo import cache_folder
from venvsense.environment.uvcache import script_environment_path
from venvsense.imports.diskcache import persistent_cache_dir

LOCK = """version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1"
source = { editable = "." }
dependencies = [{ name = "alpha" }]

[[package]]
name = "alpha"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
"""

FILES = {
    "pyproject.toml": '[project]\nname = "app"\nversion = "0.1"\ndependencies = ["alpha"]\n\n'
                      '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    "uv.lock": LOCK,
    ".gitignore": "build/\n",
    ".git/info/exclude": "",
    "app/__init__.py": "import alpha\n",
    "app/util.py": "import os\n",
    "docs/index.md": "# docs\n",
    "build/generated.py": "import nowhere\n",
    "packages/member/pyproject.toml": '[project]\nname = "member"\nversion = "0.1"\ndependencies = ["gamma"]\n',
    "packages/member/member/__init__.py": "import gamma\n",
    "scripts/tool.py": '# /// script\n# dependencies = ["beta"]\n# ///\nimport beta\n',
    "requirements.txt": "alpha\n",
    "requirements-dev.txt": "-r requirements.txt\npytest\n",
}


APP = ("outer/app",)


def _age(*folders: Path) -> None:
    """Date every file and folder under ``folders`` (and the folders) ten seconds back."""
    stamp = time.time_ns() - 10_000_000_000
    for folder in folders:
        for current, dirs, files in os.walk(folder):
            for name in files:
                path = os.path.join(current, name)
                if not os.path.islink(path):
                    os.utime(path, ns=(stamp, stamp))
            for name in dirs:
                os.utime(os.path.join(current, name), ns=(stamp, stamp), follow_symlinks=False)
        os.utime(folder, ns=(stamp, stamp))


class Runner:
    """``venvsense check`` as a process, in ``cwd``, with its cache in ``cache``."""

    def __init__(self, cwd: Path, cache: Path) -> None:
        self.cwd = cwd
        self.cache = cache
        self.env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "VENVSENSE_MEMO")}
        self.env.update({"VENVSENSE_CACHE_DIR": str(cache), "VENVSENSE_MEMO_TRACE": "1", "NO_COLOR": "1",
                         "UV_CACHE_DIR": str(cwd / "uv-cache")})

    def run(self, *args: str, env: dict[str, str] | None = None,
            python: tuple[str, ...] = ()) -> tuple[str, int, str]:
        environ = {**self.env, **(env or {})}
        result = subprocess.run([sys.executable, *python, "-m", "venvsense", "check", *args], cwd=self.cwd,
                                capture_output=True, text=True, env=environ, check=False)
        return result.stdout, result.returncode, result.stderr

    def memo_lines(self, stderr: str) -> list[str]:
        return [line for line in stderr.splitlines() if line.startswith("venvsense: memo")]

    def truth(self, *args: str, env: dict[str, str] | None = None) -> tuple[str, int]:
        """The engine's answer with no cache at all (nor memo)."""
        stdout, code, stderr = self.run(*args, env={**(env or {}), "VENVSENSE_CACHE_DIR": ""})
        assert code in (0, 1), stderr
        assert not self.memo_lines(stderr)
        return stdout, code


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    for name in ("alpha", "beta", "gamma"):
        build_wheel(folder, name, "1.0")
    return folder


@pytest.fixture
def tree(tmp_path: Path, wheels: Path) -> Path:
    """The project in ``tmp_path/outer/app`` with its ``.venv`` holding alpha 1.0, dated back."""
    root = write(tmp_path / "outer" / "app", FILES)
    venv = make_venv(root / ".venv")
    pip_install(venv, "alpha", find_links=wheels, args=("--no-deps",))
    _age(tmp_path / "outer")
    return root


def _pip(venv: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv_python(venv)), *args, "--quiet"],
                   check=True, capture_output=True,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})


def _edit_keeping_stamp(path: Path, text: str) -> None:
    """Rewrite ``path`` with text of the same size and give it back its mtime (as `cp -p` or a checkout
    would): only its ctime tells."""
    before = os.stat(path)
    assert len(text.encode()) == before.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _mutations(root: Path, wheels: Path) -> list[tuple[str, Callable[[], None], tuple[str, ...],
                                                       dict[str, str]]]:
    venv = root / ".venv"
    other = root.parent / "other-venv"

    def uv_script_environment() -> None:
        # where uv makes the PEP 723 script's environment (the check only probes that path: it lists nothing)
        made = make_venv(script_environment_path(root / "scripts" / "tool.py",
                                                 {"UV_CACHE_DIR": str(root.parents[1] / "uv-cache")}))
        pip_install(made, "beta", find_links=wheels, args=("--no-deps",))

    def other_venv() -> None:
        make_venv(other)
        pip_install(other, "alpha", "beta", find_links=wheels, args=("--no-deps",))

    return [
        ("edit a module to add an import", lambda: write(root, {"app/util.py": "import os\nimport beta\n"}), APP,
         {}),
        ("add a module in a folder without one", lambda: write(root, {"docs/conf.py": "import gamma\n"}), APP, {}),
        ("delete a module", lambda: (root / "docs" / "conf.py").unlink(), APP, {}),
        ("install a wheel", lambda: pip_install(venv, "beta", find_links=wheels, args=("--no-deps",)), APP, {}),
        ("uninstall a distribution", lambda: _pip(venv, "uninstall", "-y", "alpha"), APP, {}),
        ("edit requirements.txt", lambda: write(root, {"requirements.txt": "alpha\nbeta\n"}), APP, {}),
        ("edit pyproject.toml", lambda: write(root, {"pyproject.toml": FILES["pyproject.toml"].replace(
            '["alpha"]', '["gamma"]')}), APP, {}),
        ("edit uv.lock", lambda: write(root, {"uv.lock": LOCK.replace('"1.0"', '"2.0"')}), APP, {}),
        ("edit a module keeping its size and mtime",
         lambda: _edit_keeping_stamp(root / "app" / "util.py", "import os\nimport gamm\n"), APP, {}),
        ("uv makes the script's environment", uv_script_environment, APP, {}),
        ("add a .gitignore pattern", lambda: write(root, {".gitignore": "build/\nscripts/\napp/__init__.py\n"}),
         APP, {}),
        ("add a .git/info/exclude pattern", lambda: write(root, {".git/info/exclude": "docs/\napp/util.py\n"}),
         APP, {}),
        ("un-ignore build/", lambda: write(root, {".gitignore": "scripts/\n"}), APP, {}),
        ("add a pyproject.toml above the root", lambda: write(root.parent, {
            "pyproject.toml": '[project]\nname = "outer"\nversion = "1"\ndependencies = ["gamma"]\n'}), APP, {}),
        ("create .python-version", lambda: write(root, {".python-version": "3.8\n"}), APP, {}),
        ("set VIRTUAL_ENV", other_venv, APP, {"VIRTUAL_ENV": str(other)}),
        ("change --format", lambda: None, (*APP, "--format", "json"), {}),
        ("change --format again", lambda: None, (*APP, "--format", "concise"), {}),
        ("name the member", lambda: None, ("outer/app/packages/member",), {}),
    ]





def test_after_each_change_the_memo_answers_as_the_engine(tmp_path: Path, tree: Path, wheels: Path) -> None:
    runner = Runner(tmp_path, tmp_path / "cache")
    outer = tmp_path / "outer"
    # first run: no memo, then one stored; the second run is a hit, with the same answer
    stdout, code, stderr = runner.run("outer/app")
    assert runner.memo_lines(stderr)[0] == "venvsense: memo miss: no memo"
    assert runner.memo_lines(stderr)[-1].startswith("venvsense: memo stored"), stderr
    assert (stdout, code) == runner.truth("outer/app")
    assert runner.run("outer/app") == (stdout, code, "venvsense: memo hit\n")
    answers = {stdout}
    previous = (stdout, code)
    unchanged = []
    for what, change, args, env in _mutations(tree, wheels):
        change()
        _age(*(folder for folder in (outer, tmp_path / "uv-cache") if folder.exists()))
        words = args
        expected = runner.truth(*words, env=env)
        stdout, code, stderr = runner.run(*words, env=env)
        lines = runner.memo_lines(stderr)
        assert lines[0].startswith("venvsense: memo miss"), (what, stderr)
        assert lines[-1].startswith("venvsense: memo stored"), (what, stderr)
        assert (stdout, code) == expected, what
        # unchanged since: a hit, checked against the engine
        stdout, code, stderr = runner.run(*words, env={**env, "VENVSENSE_MEMO_VERIFY": "1"})
        assert runner.memo_lines(stderr) == ["venvsense: memo hit"], (what, stderr)
        assert (stdout, code) == expected, what
        answers.add(expected[0])
        if expected == previous:
            unchanged.append(what)
        previous = expected
    # each change changed the answer, but two the engine does not heed here: a pyproject.toml above a project
    # that has its own, VIRTUAL_ENV for a project that has its own venv (the memo missed on them all the same)
    assert unchanged == ["add a pyproject.toml above the root", "set VIRTUAL_ENV"]
    assert len(answers) >= 12  # (not one answer over and over)


def test_a_hit_does_not_import_the_engine(tmp_path: Path, tree: Path) -> None:
    runner = Runner(tmp_path, tmp_path / "cache")
    runner.run("outer/app")
    stdout, code, stderr = runner.run("outer/app", python=("-X", "importtime"))
    assert "venvsense: memo hit" in stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}
    assert "venvsense.cli.memo" in imported
    assert not {"venvsense.check", "venvsense.model", "packaging", "argparse"} & imported
    assert (stdout, code) == runner.truth("outer/app")


def test_verify_fails_loudly_when_the_memo_is_wrong(tmp_path: Path, tree: Path) -> None:
    runner = Runner(tmp_path, tmp_path / "cache")
    stdout, code, _ = runner.run("outer/app")
    [memo] = (tmp_path / "cache" / "memo").iterdir()
    form, key, text, stored_code, inputs = marshal.loads(memo.read_bytes())
    assert (text, stored_code) == (stdout, code)
    memo.write_bytes(marshal.dumps((form, key, text + "tampered\n", stored_code, inputs)))
    assert runner.run("outer/app")[0] == stdout + "tampered\n"  # (what a memo says, it is given)
    verified = runner.run("outer/app", env={"VENVSENSE_MEMO_VERIFY": "1"})
    assert verified[1] == 2
    assert "the memo's answer differs from the engine's" in verified[2]


def test_what_is_not_memoised(tmp_path: Path, wheels: Path) -> None:
    runner = Runner(tmp_path, tmp_path / "cache")
    root = write(tmp_path / "fresh", {"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n',
                                      "x.py": "import alpha\n"})
    # a tree being written now: its files may change again within their mtime's granularity
    _, _, stderr = runner.run("fresh")
    assert "changed less than 2 s before the check" in runner.memo_lines(stderr)[-1]
    # a project that asks the package index (check-outdated), even offline
    write(root, {"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n\n[tool.venvsense]\n'
                                   'check-outdated = true\noffline = true\n'})
    _age(root)
    _, _, stderr = runner.run("fresh")
    assert runner.memo_lines(stderr)[-1] == "venvsense: memo not stored: check-outdated asks the package index"
    # memo off: no cache folder, or VENVSENSE_MEMO=0
    for env in ({"VENVSENSE_CACHE_DIR": ""}, {"VENVSENSE_MEMO": "0"}):
        assert not runner.memo_lines(runner.run("fresh", env=env)[2])
    # a usage error (exit 2) is not an answer to keep
    _, code, stderr = runner.run("missing")
    assert code == 2 and "no such file" in stderr
    assert runner.memo_lines(stderr) == ["venvsense: memo miss: no memo"]


@pytest.mark.parametrize("environ", [
    {"VENVSENSE_CACHE_DIR": "/some/where"}, {"VENVSENSE_CACHE_DIR": ""}, {"VENVSENSE_CACHE_DIR": "  "},
    {"XDG_CACHE_HOME": "/x/cache"}, {"XDG_CACHE_HOME": "relative"}, {},
])
def test_the_memo_lives_in_the_scan_caches_folder(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VENVSENSE_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    expected = persistent_cache_dir()
    found = cache_folder(os.environ)
    assert (None if found is None else Path(found)) == expected


def test_the_memos_used_last_are_kept_and_the_rest_pruned(tmp_path: Path, tree: Path) -> None:
    from venvsense.cli.memo import MAX_MEMOS

    runner = Runner(tmp_path, tmp_path / "cache")
    runner.run("outer/app")
    [used] = (tmp_path / "cache" / "memo").iterdir()
    # other invocations' memos, all older than this one; the one in use is older still
    hour_ago = time.time_ns() - 3_600_000_000_000
    for number in range(MAX_MEMOS + 20):
        stale = tmp_path / "cache" / "memo" / f"{number:016x}.marshal"
        stale.write_bytes(b"")
        os.utime(stale, ns=(hour_ago + number, hour_ago + number))
    os.utime(used, ns=(hour_ago - 1, hour_ago - 1))
    assert "venvsense: memo hit" in runner.run("outer/app")[2]  # a hit marks its memo as used now
    runner.run("outer/app", "--format", "json")  # a new memo is stored: the folder is pruned
    left = {path.name for path in (tmp_path / "cache" / "memo").iterdir()}
    assert len(left) == MAX_MEMOS
    assert used.name in left  # used last, though made first
    assert f"{0:016x}.marshal" not in left and f"{MAX_MEMOS + 19:016x}.marshal" in left
    assert "venvsense: memo hit" in runner.run("outer/app")[2]
