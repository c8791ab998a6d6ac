"""The project's own import names, read from real project folders on disk."""

from __future__ import annotations

from pathlib import Path

from venvsense.firstparty import first_party_modules, is_local_to_script


def write(root: Path, *paths: str, text: str = "") -> None:
    for relative in paths:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def make_venv_folder(path: Path) -> None:
    """A folder that looks like a venv to a static reader (its pyvenv.cfg), with code in site-packages."""
    write(path, "pyvenv.cfg", text="home = /usr/bin\n")
    write(path, "lib/python3.11/site-packages/requests/__init__.py")


def test_flat_layout_packages_and_modules(tmp_path: Path) -> None:
    write(tmp_path, "app/__init__.py", "app/views.py", "helpers.py", "setup.py", "stubsonly.pyi")
    assert first_party_modules(tmp_path) == {"app", "helpers", "setup", "stubsonly"}


def test_src_layout(tmp_path: Path) -> None:
    write(tmp_path, "src/mypkg/__init__.py", "src/single.py", "pyproject.toml")
    names = first_party_modules(tmp_path)
    assert {"mypkg", "single"} <= names


def test_namespace_package_at_the_root_and_under_src(tmp_path: Path) -> None:
    write(tmp_path, "acme/tools/hammer.py", "src/corp/lib/deep/thing.py")
    names = first_party_modules(tmp_path)
    assert {"acme", "corp"} <= names


def test_folders_without_python_are_not_packages(tmp_path: Path) -> None:
    write(tmp_path, "data/table.csv", "static/site.css", "main.py")
    assert first_party_modules(tmp_path) == {"main"}


def test_venvs_build_output_vcs_and_docs_are_not_looked_into(tmp_path: Path) -> None:
    make_venv_folder(tmp_path / ".venv")
    make_venv_folder(tmp_path / "myenv")  # a venv under any name, found by its pyvenv.cfg
    write(tmp_path, "build/lib/pkg/__init__.py", "dist/x.py", "node_modules/n/y.py", ".git/hooks/z.py",
          "docs/conf.py", "__pycache__/m.py", "pkg.egg-info/k.py", "real/__init__.py")
    assert first_party_modules(tmp_path) == {"real"}


def test_tests_package_is_first_party(tmp_path: Path) -> None:
    write(tmp_path, "tests/__init__.py", "tests/test_a.py", "pkg/__init__.py")
    assert first_party_modules(tmp_path) == {"tests", "pkg"}


def test_local_folder_named_like_a_dependency_is_first_party(tmp_path: Path) -> None:
    write(tmp_path, "requests/__init__.py", "yaml.py", "requirements.txt")
    assert {"requests", "yaml"} <= first_party_modules(tmp_path)


def test_names_that_cannot_be_imported_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "my-scripts/run.py", "class/__init__.py", "2fast.py", "ok.py")
    assert first_party_modules(tmp_path) == {"ok"}


def test_setuptools_find_where_folder(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml",
          text='[tool.setuptools.packages.find]\nwhere = ["server"]\n')
    write(tmp_path, "server/engine/__init__.py")
    assert "engine" in first_party_modules(tmp_path)


def test_setuptools_explicit_packages_and_package_dir(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml",
          text='[tool.setuptools]\npackages = ["alpha", "alpha.sub"]\npackage-dir = {"" = "lib"}\n')
    write(tmp_path, "lib/beta/__init__.py")
    names = first_party_modules(tmp_path)
    assert {"alpha", "beta"} <= names


def test_other_backends_layouts(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", text=(
        '[tool.hatch.build.targets.wheel]\npackages = ["code/hatched"]\n'
        '[tool.poetry]\npackages = [{include = "poetic", from = "python"}]\n'
        '[tool.flit.module]\nname = "flitted"\n'
    ))
    write(tmp_path, "python/extra_mod.py")
    names = first_party_modules(tmp_path)
    assert {"hatched", "poetic", "flitted", "extra_mod"} <= names


def test_setup_cfg_where_folder(tmp_path: Path) -> None:
    write(tmp_path, "setup.cfg", text="[options]\npackages = find:\n[options.packages.find]\nwhere = lib\n")
    write(tmp_path, "lib/cfgpkg/__init__.py")
    assert "cfgpkg" in first_party_modules(tmp_path)


def test_a_broken_pyproject_is_not_an_error(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", text="[tool.setuptools\npackages = ")
    write(tmp_path, "pkg/__init__.py")
    assert first_party_modules(tmp_path) == {"pkg"}


def test_known_names_are_added(tmp_path: Path) -> None:
    assert first_party_modules(tmp_path, known=["generated", "proto.gen"]) == {"generated", "proto"}


def test_exclude_drops_paths(tmp_path: Path) -> None:
    write(tmp_path, "keep/__init__.py", "vendored/__init__.py", "scratch.py")
    names = first_party_modules(tmp_path, exclude=lambda p: p.name in ("vendored", "scratch.py"))
    assert names == {"keep"}


def test_sibling_module_of_a_script_is_local(tmp_path: Path) -> None:
    write(tmp_path, "scripts/run.py", "scripts/helpers.py", "scripts/tools/__init__.py")
    script = tmp_path / "scripts" / "run.py"
    assert is_local_to_script("helpers", script)
    assert is_local_to_script("helpers.sub", script)
    assert is_local_to_script("tools", script)
    assert not is_local_to_script("requests", script)


def test_sibling_namespace_folder_counts_only_with_python_in_it(tmp_path: Path) -> None:
    write(tmp_path, "bin/tool.py", "bin/nsdir/inner/mod.py", "bin/requests/fixture.json")
    script = tmp_path / "bin" / "tool.py"
    assert is_local_to_script("nsdir", script)
    assert not is_local_to_script("requests", script)


def test_sibling_extension_module_is_local(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "fast.cpython-311-x86_64-linux-gnu.so")
    assert is_local_to_script("fast", tmp_path / "app.py")
    assert not is_local_to_script("fas", tmp_path / "app.py")


def test_a_run_finds_a_folders_names_once_and_outside_a_run_every_call_reads_the_tree(tmp_path: Path) -> None:
    from venvsense.firstparty import one_run
    from venvsense.tomlfile import read_toml

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text('[tool.setuptools]\npackages = ["declared"]\n')
    with one_run():
        first = first_party_modules(tmp_path)
        assert first == {"pkg", "declared"}
        (tmp_path / "later.py").write_text("")  # (a read-only run takes its tree as it found it)
        assert first_party_modules(tmp_path) is first
        # what the answer depends on besides the tree is in the key: names, the layout texts, an exclusion
        assert first_party_modules(tmp_path, known=["extra"]) == {"pkg", "declared", "later", "extra"}
        buffer = read_toml(tmp_path / "pyproject.toml", '[tool.setuptools]\npackages = ["edited"]\n')
        assert first_party_modules(tmp_path, pyproject_toml=buffer) == {"pkg", "edited", "later"}
        assert first_party_modules(tmp_path, exclude=lambda path: path.name == "pkg") == {"declared", "later"}
    assert first_party_modules(tmp_path) == {"pkg", "declared", "later"}  # the run is over
    (tmp_path / "again.py").write_text("")
    assert "again" in first_party_modules(tmp_path)  # outside a run (the language server): read every time
