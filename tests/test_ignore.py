"""Git's ignore semantics, compared with git itself on trees the tests build: what the walk enters and lists is
what ``git ls-files --others --exclude-standard`` lists, and every entry's verdict is ``git check-ignore``'s."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from venvsense.ignore import IgnoreFile
from venvsense.tree import walk

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ROOT_RULES = """\
# a comment, then a blank line

*.log
!keep.log
/build/
docs/_build
generated/
**/cache/**
!**/cache/keep.txt
a/**/z.txt
data[0-9].csv
[!x]y.txt
\\#hash.txt
\\!bang.txt
trailing.txt   \n\
space\\ .txt
*.py[cod]
.*
!.gitignore
!.github
deep/only/
/anchored.txt
sub/*.tmp
foo/*/bar
[z-a]never.txt
unterminated[.txt
twice/
!twice/
"""

FILES = [
    "app.log", "keep.log", "src/app.log", "src/keep.log", "build/out.txt", "src/build/out.txt",
    "docs/_build/index.html", "other/docs/_build/x.html", "generated/g.py", "src/generated/g.py",
    "cache/a.txt", "cache/keep.txt", "src/cache/deeper/b.txt", "src/cache/keep.txt",
    "a/z.txt", "a/b/z.txt", "a/b/c/z.txt", "b/a/z.txt",
    "data1.csv", "data10.csv", "dataX.csv", "ay.txt", "xy.txt", "#hash.txt", "!bang.txt", "trailing.txt",
    "space .txt", "space.txt", "m.pyc", "m.py", "m.pyx", ".env", ".github/workflows/ci.yml", ".hidden/h.py",
    "deep/only/x.txt", "deep/only", "src/deep/only/y.txt", "anchored.txt", "src/anchored.txt",
    "sub/a.tmp", "sub/inner/a.tmp", "x/sub/a.tmp", "foo/one/bar", "foo/one/two/bar", "foo/bar",
    "anever.txt", "unterminated[.txt", "twice/t.txt", "excluded_by_info.txt", "notes.info", "src/more.info",
    # nested ignore files: the deeper file decides first
    "pkg/important.log", "pkg/other.log", "pkg/a.tmp", "pkg/local.txt", "pkg/x/local.txt", "pkg/nested/n.py",
    "pkg/sub/b.tmp", "pkg/sub/c.log", "pkg/sub/deeper/d.tmp",
]
NESTED = {
    "pkg/.gitignore": "!important.log\n*.tmp\n/local.txt\nnested/\n",
    "pkg/sub/.gitignore": "!*.tmp\n",
}
EXCLUDE = "excluded_by_info.txt\n*.info\n!src/more.info\n"


def _tree(root: Path) -> Path:
    for name in FILES:
        path = root / name
        if name == "deep/only":  # a file named like a folder-only pattern
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n", encoding="utf-8")
    (root / "deep" / "onlyfile").write_text("x\n")
    (root / ".gitignore").write_text(ROOT_RULES, encoding="utf-8")
    for name, text in NESTED.items():
        (root / name).write_text(text, encoding="utf-8")
    _git(root, "init", "--quiet")
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text(EXCLUDE, encoding="utf-8")
    return root


def _git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    home = cwd.parent / "home"
    home.mkdir(exist_ok=True)
    # no global or system configuration: no core.excludesFile of the machine's user
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull}
    result = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env,
                            check=False, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def _walked(root: Path) -> list[str]:
    return sorted(listing.relative + name for listing in walk(root) for name in listing.files
                  if not listing.ignored(name))


def test_the_walk_lists_what_git_lists(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    expected = sorted(_git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")[:-1])
    assert _walked(root) == expected
    # and the cases meant to be there are: a sanity check of the tree itself
    assert "keep.log" in expected and "app.log" not in expected and "src/cache/keep.txt" in expected


def test_every_verdict_is_git_check_ignore_s(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    asked: dict[str, bool] = {}
    for listing in walk(root):
        for entry in os.scandir(listing.path):
            if entry.name == ".git":
                continue
            folder = entry.is_dir()
            asked[listing.relative + entry.name] = listing.ignored(entry.name, folder=folder)
    out = _git(root, "check-ignore", "--stdin", "-z", "--no-index", stdin="\0".join(asked) + "\0")
    ignored_by_git = set(out.split("\0")[:-1])
    wrong = {path: ours for path, ours in asked.items() if ours != (path in ignored_by_git)}
    assert not wrong, wrong
    assert sum(asked.values()) >= 20  # the tree exercises many rules


def test_a_root_below_the_repository_top_gets_the_rules_above_it(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    for start in ("src", "pkg", "pkg/sub"):
        expected = sorted(_git(root / start, "ls-files", "--others", "--exclude-standard", "-z").split("\0")[:-1])
        assert _walked(root / start) == expected, start


def test_a_nested_repository_has_its_own_rules(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    inner = root / "vendor" / "lib"
    inner.mkdir(parents=True)
    (inner / "app.log").write_text("x\n")  # ignored by the outer *.log, but not in the inner repository
    (inner / "inner.tmp").write_text("x\n")
    (inner / ".gitignore").write_text("*.tmp\n")
    _git(inner, "init", "--quiet")
    expected = sorted(_git(inner, "ls-files", "--others", "--exclude-standard", "-z").split("\0")[:-1])
    assert expected == [".gitignore", "app.log"]
    nested = sorted(listing.relative + name for listing in walk(root) for name in listing.files
                    if listing.relative.startswith("vendor/lib/") and not listing.ignored(name))
    assert nested == ["vendor/lib/.gitignore", "vendor/lib/app.log"]


def test_ignored_folders_are_never_listed(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    listed = {listing.relative for listing in walk(root)}
    assert "build/" not in listed and "generated/" not in listed and ".hidden/" not in listed
    assert ".github/" in listed and "cache/" in listed  # cache/** ignores what is inside, not the folder


def test_one_match_call_per_kind_whatever_the_number_of_patterns() -> None:
    rules = IgnoreFile([f"generated_{index}/" for index in range(2000)] + ["!generated_7/", "*.py"])
    assert rules.verdict("a/generated_5", "generated_5", True) is True
    assert rules.verdict("a/generated_7", "generated_7", True) is False
    assert rules.verdict("a/generated_5", "generated_5", False) is None  # folder-only pattern, a file
    assert rules.verdict("x/m.py", "m.py", False) is True


def test_a_root_its_repository_ignores_keeps_only_its_own_rules(tmp_path: Path) -> None:
    home = tmp_path / "home-repo"
    project = home / "code" / "proj"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "m.py").write_text("")
    (project / "skip.py").write_text("")
    (project / ".gitignore").write_text("skip.py\n")
    (home / ".gitignore").write_text("*\n!.bashrc\n")  # a home folder kept in git
    _git(home, "init", "--quiet")
    assert _walked(project) == [".gitignore", "pkg/m.py"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_an_ignore_file_that_is_a_fifo_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("")
    os.mkfifo(tmp_path / ".gitignore")  # opening it for reading would wait for a writer forever
    assert _walked(tmp_path) == ["a.py"]


MORE_RULES = """\
logs/**/
*.min.*
[a-c]*.md
/top/*
!/top/keep/
x/**
!x/y/
**/z
mid/**/end/
q?.txt
*[[:digit:]].dat
dir\\[1\\].txt
"""
MORE_FILES = [
    "logs/a.txt", "logs/sub/b.txt", "logs/sub/deeper/c.txt", "app.min.js", "src/lib.min.css", "a.md", "d.md",
    "src/b.md", "top/a.txt", "top/keep/k.txt", "top/other/o.txt", "x/a.txt", "x/y/b.txt", "z", "src/z/f.txt",
    "mid/end/e.txt", "mid/a/b/end/e.txt", "mid/end.txt", "q1.txt", "q12.txt", "f1.dat", "fx.dat", "dir[1].txt",
    "dir1.txt",
]


def test_more_patterns_agree_with_git(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for name in MORE_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    (root / ".gitignore").write_text(MORE_RULES, encoding="utf-8")
    _git(root, "init", "--quiet")
    expected = sorted(_git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")[:-1])
    assert _walked(root) == expected
