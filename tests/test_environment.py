"""The environment layer: venv discovery, pyvenv.cfg, site-packages, installed distributions, pip check.

Every venv here is real (``python -m venv`` / ``uv venv``) and every distribution is installed by pip or uv
from wheels the tests build, except the legacy layouts (egg-info, egg-link) that today's tools no longer
write, which are laid out by hand exactly as ``setup.py install`` / ``setup.py develop`` left them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.wheels import (
    build_wheel,
    find_pyenv_python,
    make_project,
    make_venv,
    pip_check,
    pip_install,
    site_packages,
    uv,
)
from support.work import calls
from venvsense.environment import (
    BrokenDependency,
    Environment,
    Installed,
    broken_dependencies,
    clear_cache,
    find_environment,
    in_project_environments,
    parse_metadata_headers,
    read_environment,
    read_installed,
)

VenvFactory = Callable[..., Path]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def write_cfg(venv: Path, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    (venv / "pyvenv.cfg").write_bytes(data)


def fake_venv(folder: Path, cfg: str | bytes | None = "home = /usr/bin\nversion = 3.11.7\n",
              site: str | None = "lib/python3.11/site-packages") -> Path:
    """A venv-shaped folder without an interpreter, for discovery and layout tests."""
    folder.mkdir(parents=True)
    if cfg is not None:
        write_cfg(folder, cfg)
    if site is not None:
        (folder / site).mkdir(parents=True)
    return folder


def messages(broken: list[BrokenDependency]) -> set[str]:
    return {b.message for b in broken}


def installed_in(venv: Path) -> Installed:
    return read_installed(read_environment(venv, "configured"))


# ----------------------------------------------------------------------------------------------------
# Discovery
# ----------------------------------------------------------------------------------------------------


def test_configured_environment_wins_over_in_project_and_virtual_env(tmp_path: Path) -> None:
    fake_venv(tmp_path / "project" / ".venv")
    other = fake_venv(tmp_path / "elsewhere")
    found = find_environment(tmp_path / "project", configured=other,
                             environ={"VIRTUAL_ENV": str(tmp_path / "project" / ".venv")})
    assert found is not None
    assert (found.path, found.source) == (other, "configured")


def test_relative_configured_path_is_relative_to_project_root(tmp_path: Path) -> None:
    fake_venv(tmp_path / "project" / "envs" / "py311")
    found = find_environment(tmp_path / "project", configured=Path("envs/py311"), environ={})
    assert found is not None
    assert found.path == tmp_path / "project" / "envs" / "py311"
    assert found.problems == ()


def test_configured_path_that_does_not_exist_is_reported_not_replaced(tmp_path: Path) -> None:
    fake_venv(tmp_path / ".venv")
    found = find_environment(tmp_path, configured=Path("gone"), environ={})
    assert found is not None
    assert found.source == "configured"
    assert found.path == tmp_path / "gone"
    assert any("does not exist" in p for p in found.problems)


def test_configured_folder_without_pyvenv_cfg_is_reported(tmp_path: Path) -> None:
    fake_venv(tmp_path / "notavenv", cfg=None)
    found = find_environment(tmp_path, configured=tmp_path / "notavenv", environ={})
    assert found is not None
    assert found.config is None
    assert any("no pyvenv.cfg" in p for p in found.problems)


def test_configured_interpreter_path_means_its_venv(venv_factory: VenvFactory, tmp_path: Path) -> None:
    venv = venv_factory()
    found = find_environment(tmp_path, configured=venv / "bin" / "python", environ={})
    assert found is not None
    assert found.path == venv


def test_in_project_venv_is_found_before_virtual_env(tmp_path: Path) -> None:
    own = fake_venv(tmp_path / ".venv")
    active = fake_venv(tmp_path / "active")
    found = find_environment(tmp_path, environ={"VIRTUAL_ENV": str(active)})
    assert found is not None
    assert (found.path, found.source) == (own, "in-project")


def test_in_project_names_are_tried_in_order(tmp_path: Path) -> None:
    for name in ("env", "venv", ".venv"):
        fake_venv(tmp_path / name)
    assert in_project_environments(tmp_path) == [tmp_path / ".venv", tmp_path / "venv", tmp_path / "env"]
    found = find_environment(tmp_path, environ={})
    assert found is not None
    assert found.path == tmp_path / ".venv"


def test_folder_without_pyvenv_cfg_is_not_an_in_project_venv(tmp_path: Path) -> None:
    fake_venv(tmp_path / ".venv", cfg=None)
    (tmp_path / ".env").write_text("SECRET=1\n")
    real = fake_venv(tmp_path / "env")
    assert in_project_environments(tmp_path) == [real]


def test_virtual_env_is_used_when_the_project_has_no_venv(tmp_path: Path) -> None:
    active = fake_venv(tmp_path / "active")
    (tmp_path / "project").mkdir()
    found = find_environment(tmp_path / "project", environ={"VIRTUAL_ENV": str(active)})
    assert found is not None
    assert (found.path, found.source) == (active, "VIRTUAL_ENV")


def test_no_environment_is_none(tmp_path: Path) -> None:
    assert find_environment(tmp_path, environ={}) is None
    assert find_environment(tmp_path, environ={"VIRTUAL_ENV": ""}) is None


# ----------------------------------------------------------------------------------------------------
# pyvenv.cfg and site-packages
# ----------------------------------------------------------------------------------------------------


def test_stdlib_venv_is_read_without_problems(venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    env = read_environment(venv, "in-project")
    assert env.problems == ()
    assert env.config is not None
    assert env.python == "{}.{}.{}".format(*sys.version_info[:3])
    assert env.config.home is not None and Path(env.config.home).is_dir()
    assert env.config.include_system_site_packages is False
    assert env.site_packages == (site_packages(venv),)
    assert env.name == venv.name


def test_system_site_packages_is_noted_but_not_scanned(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    cfg = (venv / "pyvenv.cfg").read_text().replace("include-system-site-packages = false",
                                                     "include-system-site-packages = true")
    write_cfg(venv, cfg)
    env = read_environment(venv, "in-project")
    assert env.config is not None and env.config.include_system_site_packages
    assert env.site_packages == (site_packages(venv),)
    assert read_installed(env).distributions == {}


def test_uv_venv_version_comes_from_version_info(tmp_path: Path, uv_path: Path) -> None:
    uv("venv", "--quiet", "--python", sys.executable, str(tmp_path / "uvenv"))
    env = read_environment(tmp_path / "uvenv", "in-project")
    assert env.problems == ()
    assert env.config is not None
    assert "version_info" in env.config.raw and "version" not in env.config.raw
    assert env.config.uv is not None
    assert env.python == "{}.{}.{}".format(*sys.version_info[:3])
    assert env.site_packages == (site_packages(tmp_path / "uvenv"),)


def test_pyvenv_cfg_tolerates_bom_crlf_section_header_and_garbage(venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    home = read_environment(venv, "in-project").config.home  # type: ignore[union-attr]
    write_cfg(venv, f"\ufeff[venv]\r\nthis line means nothing\r\nHome = {home}\r\nversion_info = "
                    "3.11.7.final.0\r\n=orphan value\r\nprompt = 'demo'\r\n")
    env = read_environment(venv, "in-project")
    assert env.config is not None
    assert env.config.home == home
    assert env.python == "3.11.7"
    assert env.config.prompt == "'demo'"
    assert env.problems == ()


def test_pyvenv_cfg_with_binary_junk_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / "venv", cfg=b"\xff\xfe\x00home = /usr/bin\n\x80\x81")
    env = read_environment(venv, "in-project")
    assert any("not valid UTF-8" in p for p in env.problems)


def test_pyvenv_cfg_without_home_is_a_problem(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / "venv", cfg="version = 3.11.7\n")
    assert any("no `home`" in p for p in read_environment(venv, "in-project").problems)


def test_unreadable_pyvenv_cfg_is_a_problem(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / "venv", cfg=None)
    (venv / "pyvenv.cfg").mkdir()
    env = read_environment(venv, "in-project")
    assert env.config is None
    assert any("pyvenv.cfg cannot be read" in p for p in env.problems)


def test_venv_of_another_python_version(tmp_path: Path, pyenv_python: Callable[[str], Path]) -> None:
    other = next((v for v in ("3.12", "3.13", "3.10", "3.9")
                  if v != "{}.{}".format(*sys.version_info[:2]) and find_pyenv_python(v)), None)
    if other is None:
        pytest.skip("no pyenv Python other than the running one")
    interpreter = pyenv_python(other)
    venv = make_venv(tmp_path / "venv", interpreter)
    build_wheel(tmp_path / "wheels", "tiny", "1.0")
    pip_install(venv, "tiny", find_links=tmp_path / "wheels")
    env = read_environment(venv, "in-project")
    assert env.problems == ()
    assert env.python is not None and env.python.startswith(other + ".")
    assert env.site_packages == (venv / "lib" / f"python{other}" / "site-packages",)
    assert set(read_installed(env).distributions) == {"tiny"}


def test_removed_base_interpreter_is_a_problem(tmp_path: Path) -> None:
    # A copy of a real base interpreter's bin folder, then removed: what `pyenv uninstall` does to a venv.
    base = tmp_path / "pyenv" / "versions" / "3.11.7" / "bin"
    base.mkdir(parents=True)
    shutil.copy2(sys.executable, base / "python3.11")
    venv = make_venv(tmp_path / "venv")
    cfg = (venv / "pyvenv.cfg").read_text().splitlines()
    write_cfg(venv, "\n".join(f"home = {base}" if line.startswith("home") else line for line in cfg))
    assert read_environment(venv, "in-project").problems == ()
    shutil.rmtree(tmp_path / "pyenv")
    problems = read_environment(venv, "in-project").problems
    assert len(problems) == 1
    assert "base interpreter is gone" in problems[0] and str(base) in problems[0]


def test_home_without_any_python_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "emptyhome").mkdir()
    venv = fake_venv(tmp_path / "venv", cfg=f"home = {tmp_path / 'emptyhome'}\nversion = 3.11.7\n")
    assert any("holds no Python" in p for p in read_environment(venv, "in-project").problems)


def test_missing_site_packages_is_a_problem(venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    shutil.rmtree(site_packages(venv))
    env = read_environment(venv, "in-project")
    assert env.site_packages == ()
    assert any("no site-packages" in p for p in env.problems)


def test_unknown_version_finds_site_packages_by_searching_lib(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / "venv", cfg="home = /usr/bin\n", site="lib/python3.12/site-packages")
    env = read_environment(venv, "in-project")
    assert env.python is None
    assert env.site_packages == (venv / "lib/python3.12/site-packages",)


def test_free_threaded_and_windows_layouts_are_found(tmp_path: Path) -> None:
    threaded = fake_venv(tmp_path / "t", cfg="home = /usr/bin\nversion = 3.13.0\n",
                         site="lib/python3.13t/site-packages")
    windows = fake_venv(tmp_path / "w", cfg="home = C:\\Python311\nversion = 3.11.7\n",
                        site="Lib/site-packages")
    assert read_environment(threaded, "in-project").site_packages == \
        (threaded / "lib/python3.13t/site-packages",)
    assert read_environment(windows, "in-project").site_packages == (windows / "Lib/site-packages",)


def test_lib64_symlink_is_not_listed_twice(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / "venv")
    (venv / "lib64").symlink_to("lib")
    assert len(read_environment(venv, "in-project").site_packages) == 1


# ----------------------------------------------------------------------------------------------------
# Installed distributions (one venv filled once, read by many tests)
# ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alpha-pkg (requested; top_level.txt) pulls beta (a dependency; no top_level.txt)."""
    wheels = tmp_path_factory.mktemp("populated-wheels")
    build_wheel(wheels, "Alpha.Pkg", "1.0", requires=["beta>=1", 'legacy<2; python_version < "3"'],
                extras={"fast": ["gamma>=2"]}, modules=["alpha", "alpha_extra.py"])
    build_wheel(wheels, "beta", "2.0", top_level=False, modules=["beta_pkg", "beta_mod.py"],
                files={"beta_pkg/sub/deep.py": "", "beta_fast.cpython-311-x86_64-linux-gnu.so": b"\0",
                       "beta-extras.pth": "", "beta_pkg.libs/libz.so": b"\0",
                       "beta-2.0.data/scripts/beta-tool": "#!python\n"})
    venv = make_venv(tmp_path_factory.mktemp("populated") / "venv")
    pip_install(venv, "alpha-pkg", find_links=wheels)
    return venv


def test_pip_installed_distribution_name_version_requires_and_extras(populated: Path) -> None:
    alpha = installed_in(populated).distributions["alpha-pkg"]
    assert (alpha.name, alpha.version) == ("Alpha.Pkg", "1.0")
    assert alpha.requires == ("beta>=1", 'legacy<2; python_version < "3"', 'gamma>=2; extra == "fast"')
    assert alpha.extras == ("fast",)
    assert alpha.editable is False
    assert alpha.problem is None
    assert alpha.metadata_path == site_packages(populated) / "alpha_pkg-1.0.dist-info"


def test_installer_and_requested_are_read(populated: Path) -> None:
    installed = installed_in(populated)
    assert installed.distributions["alpha-pkg"].installer == "pip"
    assert installed.distributions["alpha-pkg"].requested is True
    assert installed.distributions["beta"].requested is False


def test_modules_come_from_top_level_txt(populated: Path) -> None:
    assert installed_in(populated).distributions["alpha-pkg"].modules == ("alpha", "alpha_extra")


def test_modules_come_from_record_without_top_level_txt(populated: Path) -> None:
    # not the .dist-info, .data, .libs, .pth or bin/ entries; a compiled module by its import name
    assert installed_in(populated).distributions["beta"].modules == ("beta_fast", "beta_mod", "beta_pkg")


def test_uv_installed_distribution_names_uv_as_installer(tmp_path: Path, uv_path: Path,
                                                         venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    build_wheel(tmp_path / "wheels", "tiny", "1.0")
    uv("pip", "install", "--quiet", "--no-index", "--find-links", str(tmp_path / "wheels"),
       "--python", str(venv / "bin" / "python"), "--no-cache", "tiny")
    assert installed_in(venv).distributions["tiny"].installer == "uv"


def test_editable_install_with_a_path_pth_lists_the_source_folder(tmp_path: Path,
                                                                 venv_factory: VenvFactory) -> None:
    project = make_project(tmp_path / "proj", "My.Project", "0.1", modules=["mine", "helpers"], layout="src")
    (project / "src" / "loose.py").write_text("")
    venv = venv_factory()
    pip_install(venv, "-e", str(project), find_links=tmp_path)
    mine = installed_in(venv).distributions["my-project"]
    assert mine.editable is True
    assert mine.modules == ("helpers", "loose", "mine")


def test_editable_install_with_a_finder_reads_its_mapping_without_importing(
        tmp_path: Path, venv_factory: VenvFactory) -> None:
    project = make_project(tmp_path / "proj", "flatproj", "0.1", modules=["flat_a", "flat_b"],
                           layout="flat", editable_mode="finder")
    venv = venv_factory()
    pip_install(venv, "-e", str(project), find_links=tmp_path)
    (site_packages(venv) / "__editable___flatproj_0_1_finder.py").write_text(
        (site_packages(venv) / "__editable___flatproj_0_1_finder.py").read_text()
        + "\nraise SystemExit('imported!')\n")  # proves the finder is parsed, not run
    flat = installed_in(venv).distributions["flatproj"]
    assert flat.editable is True
    assert flat.modules == ("flat_a", "flat_b")


def test_editable_install_by_uv_is_editable(tmp_path: Path, uv_path: Path, venv_factory: VenvFactory) -> None:
    project = make_project(tmp_path / "proj", "uvproj", "0.1", layout="src")
    venv = venv_factory()
    uv("pip", "install", "--quiet", "--no-index", "--no-cache", "--python", str(venv / "bin" / "python"),
       "-e", str(project))
    dist = installed_in(venv).distributions["uvproj"]
    assert (dist.editable, dist.modules, dist.installer) == (True, ("uvproj",), "uv")


def _setuptools_wheels() -> list[Path]:
    """setuptools (>= 64, PEP 660) and wheel wheels shipped on this machine (CPython's test data)."""
    found: dict[str, Path] = {}
    roots = [Path(sys.base_prefix), *(p for p in (find_pyenv_python(v) for v in ("3.12", "3.13")) if p)]
    for root in roots:
        base = root if root.is_dir() else root.parent.parent
        for wheel in sorted(base.glob("lib/python3*/test/**/*.whl")):
            if wheel.name.startswith(("setuptools-6", "setuptools-7", "wheel-")):
                found.setdefault(wheel.name.split("-")[0], wheel)
    return sorted(found.values()) if len(found) == 2 else []


@pytest.mark.slow
def test_setuptools_editable_installs_are_read(tmp_path: Path, venv_factory: VenvFactory) -> None:
    wheels = _setuptools_wheels()
    if not wheels:
        pytest.skip("no setuptools/wheel wheels available offline")
    links = tmp_path / "links"
    links.mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, links)
    venv = venv_factory()
    for name, layout in (("srcproj", "src"), ("flatproj", "flat")):
        root = tmp_path / name
        package = (root / "src" if layout == "src" else root) / f"{name}_pkg"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (root / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
            f'[project]\nname = "{name}"\nversion = "0.1"\n')
        pip_install(venv, "-e", str(root), find_links=links)
    installed = installed_in(venv)
    for name in ("srcproj", "flatproj"):
        assert installed.distributions[name].editable is True
        assert f"{name}_pkg" in installed.distributions[name].modules


# Legacy layouts, written by hand as setuptools wrote them


def test_egg_info_folder_and_file_are_read(venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    site = site_packages(venv)
    egg = site / "Old_Thing-1.2-py3.11.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: Old-Thing\nVersion: 1.2\n\nBody\n")
    (egg / "top_level.txt").write_text("old_thing\n")
    (egg / "requires.txt").write_text(
        "six>=1\n\n[:python_version < \"3\"]\nfutures\n\n[Socks]\npysocks\n\n"
        "[tls:sys_platform == \"win32\"]\nwincert\n")
    (site / "distutils_only-0.5-py3.11.egg-info").write_text("Metadata-Version: 1.0\nName: distutils-only\n"
                                                              "Version: 0.5\n")
    installed = installed_in(venv)
    old = installed.distributions["old-thing"]
    assert (old.version, old.modules, old.editable, old.requested) == ("1.2", ("old_thing",), False, None)
    assert old.requires == ("six>=1", 'futures ; python_version < "3"', 'pysocks ; extra == "socks"',
                            'wincert ; (sys_platform == "win32") and extra == "tls"')
    assert old.extras == ("socks", "tls")
    assert installed.distributions["distutils-only"].version == "0.5"


def _develop_install(site: Path, project: Path, name: str, requires: str = "") -> None:
    egg = project / f"{name.replace('-', '_')}.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.3.dev0\n")
    (egg / "requires.txt").write_text(requires)
    (project / "devpkg").mkdir()
    (project / "devpkg" / "__init__.py").write_text("")
    (project / "setup.py").write_text("")
    (site / f"{name}.egg-link").write_text(f"{project}\n.")
    (site / "easy-install.pth").write_text(f"{project}\n")


def test_egg_link_develop_install_is_editable(tmp_path: Path, venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    _develop_install(site_packages(venv), tmp_path / "devproj", "dev-proj", "requests\n")
    dev = installed_in(venv).distributions["dev-proj"]
    assert (dev.version, dev.editable, dev.requires) == ("0.3.dev0", True, ("requests",))
    assert dev.modules == ("devpkg",)  # setup.py is not an import name
    assert dev.metadata_path == site_packages(venv) / "dev-proj.egg-link"


def test_egg_link_to_a_removed_project_is_skipped_with_a_reason(tmp_path: Path,
                                                                venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    _develop_install(site_packages(venv), tmp_path / "devproj", "dev-proj")
    shutil.rmtree(tmp_path / "devproj")
    installed = installed_in(venv)
    assert "dev-proj" not in installed.distributions
    [(path, reason)] = installed.skipped
    assert path.name == "dev-proj.egg-link" and "does not exist" in reason


def test_two_metadata_folders_for_one_name_are_duplicates(tmp_path: Path, venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    build_wheel(tmp_path / "w1", "dup", "1.0")
    build_wheel(tmp_path / "w2", "dup", "2.0")
    pip_install(venv, "dup", find_links=tmp_path / "w1")
    kept = site_packages(venv) / "dup-1.0.dist-info"
    shutil.copytree(kept, tmp_path / "saved")
    pip_install(venv, "dup==2.0", find_links=tmp_path / "w2")
    shutil.copytree(tmp_path / "saved", kept)  # an interrupted upgrade leaves both behind
    installed = installed_in(venv)
    assert installed.distributions["dup"].version == "2.0"
    assert sorted(d.version for d in installed.duplicates["dup"]) == ["1.0", "2.0"]


def test_metadata_without_name_takes_the_name_from_the_folder(tmp_path: Path,
                                                              venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    build_wheel(tmp_path, "nameless", "1.0")
    pip_install(venv, "nameless", find_links=tmp_path)
    # pip refuses such a wheel, so the metadata is damaged after the install
    (site_packages(venv) / "nameless-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\n"
                                                                             "Version: 1.0\n\n")
    dist = installed_in(venv).distributions["nameless"]
    assert dist.version == "1.0"
    assert dist.problem is not None and "no Name" in dist.problem


def test_garbage_metadata_is_a_problem_not_an_exception(venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    site = site_packages(venv)
    (site / "junk-1.0.dist-info").mkdir()
    (site / "junk-1.0.dist-info" / "METADATA").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 50)
    (site / "empty-2.0.dist-info").mkdir()
    (site / "lone.egg-info").write_bytes(b"\xff\x00no name here")
    installed = installed_in(venv)
    assert installed.distributions["junk"].problem is not None
    assert installed.distributions["junk"].version == "1.0"
    assert "METADATA is missing" in (installed.distributions["empty"].problem or "")
    assert installed.distributions["lone"].problem is not None
    assert installed.skipped == ()


def test_metadata_headers_unfold_continuations_and_stop_at_the_body() -> None:
    headers, problem = parse_metadata_headers(
        b"Metadata-Version: 2.1\r\nName: folded\r\nVersion: 1.0\r\nRequires-Dist: a>=1;\r\n"
        b"  python_version >= '3'\r\nrequires-dist: b\r\nSummary: x\r\n\r\nRequires-Dist: not-a-header\r\n")
    assert problem is None
    assert headers == {"name": ["folded"], "version": ["1.0"],
                       "requires-dist": ["a>=1;  python_version >= '3'", "b"]}


# ----------------------------------------------------------------------------------------------------
# Cache
# ----------------------------------------------------------------------------------------------------


def test_unchanged_environment_returns_the_cached_object(populated: Path) -> None:
    env = read_environment(populated, "in-project")
    assert read_installed(env) is read_installed(env)


def test_cache_rereads_after_an_install(tmp_path: Path, venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    env = read_environment(venv, "in-project")
    before = read_installed(env)
    build_wheel(tmp_path, "late", "1.0")
    pip_install(venv, "late", find_links=tmp_path)
    after = read_installed(env)
    assert after is not before
    assert "late" in after.distributions and "late" not in before.distributions


def test_clear_cache_forces_a_reread(populated: Path) -> None:
    env = read_environment(populated, "in-project")
    first = read_installed(env)
    clear_cache()
    second = read_installed(env)
    assert second is not first and second == first


def test_reading_many_distributions_is_fast(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / "venv")
    site = venv / "lib/python3.11/site-packages"
    for index in range(300):
        info = site / f"pkg{index}-1.{index}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: pkg{index}\nVersion: 1.{index}\n"
                                       "Requires-Dist: other>=1\nProvides-Extra: x\n\n" + "long body\n" * 500)
        (info / "RECORD").write_text(f"pkg{index}/__init__.py,,\npkg{index}-1.{index}.dist-info/RECORD,,\n")
        (info / "INSTALLER").write_text("pip\n")
    env = read_environment(venv, "in-project")
    installed, cold = calls(lambda: read_installed(env))
    again, warm = calls(lambda: read_installed(env))
    assert len(installed.distributions) == 300
    # counted, not timed: a bounded number of calls per distribution cold (the long METADATA bodies are not
    # parsed line by line), and warm one look at the venv, not one per distribution
    assert cold < 300 * 300, cold  # ~250 per distribution measured; parsing each body line would be 750+
    assert again is installed and warm < 300, warm


# ----------------------------------------------------------------------------------------------------
# pip check
# ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv installed with --no-deps so that pip check has something of every kind to say."""
    wheels = tmp_path_factory.mktemp("broken-wheels")
    build_wheel(wheels, "app", "1.0", requires=[
        "lib-a>=2",                              # conflict: 1.5 installed
        "Lib_B",                                 # missing (pip prints the normalized name)
        'old-only; python_version < "3"',        # marker false: not reported
        'win-only; sys_platform == "win32"',     # marker false here
        "pre>=1.0",                              # 1.1rc1 installed: pre-releases accepted
        "lib-c[fancy]>=1",                       # lib-c's extra requirements are never checked
        "lib-a>=1; python_version >= '3'",       # satisfied
    ], extras={"all": ["not-installed-extra-dep"]})
    build_wheel(wheels, "lib-a", "1.5")
    build_wheel(wheels, "pre", "1.1rc1")
    build_wheel(wheels, "lib-c", "1.0", extras={"fancy": ["missing-fancy-dep"]})
    build_wheel(wheels, "wants-extra", "0.1", requires=["app[all]"])
    build_wheel(wheels, "plat", "3.0", wheel_tags=["cp27-cp27m-win32"])
    build_wheel(wheels, "Mixed.Case", "2.0.0", requires=["lib-a<1", "ghost>=1"])
    venv = make_venv(tmp_path_factory.mktemp("broken") / "venv")
    pip_install(venv, "app", "lib-a", "pre", "lib-c", "wants-extra", "plat", "mixed-case",
                find_links=wheels, args=["--no-deps", "--pre"])
    site = site_packages(venv)
    egg = site / "egg_dist-0.1-py3.11.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: egg-dist\nVersion: 0.1\n")
    (egg / "requires.txt").write_text("lib-a==1.5\negg-missing\n[:python_version < '3']\npy2-only\n"
                                      "[Extra]\nextra-missing\n")
    return venv


def test_broken_dependencies_equal_pip_check(broken: Path) -> None:
    env = read_environment(broken, "in-project")
    ours = broken_dependencies(read_installed(env), env.python)
    assert messages(ours) == pip_check(broken)


def test_missing_and_conflicting_requirements_are_described(broken: Path) -> None:
    env = read_environment(broken, "in-project")
    by_message = {b.message: b for b in broken_dependencies(read_installed(env), env.python)}
    missing = by_message["app 1.0 requires lib-b, which is not installed."]
    assert (missing.distribution, missing.requirement, missing.missing, missing.installed_version) == \
        ("app", "Lib_B", True, None)
    conflict = by_message["app 1.0 has requirement lib-a>=2, but you have lib-a 1.5."]
    assert (conflict.missing, conflict.installed_version, conflict.requirement) == (False, "1.5", "lib-a>=2")


def test_marker_false_and_extra_requirements_are_not_reported(broken: Path) -> None:
    env = read_environment(broken, "in-project")
    text = " ".join(messages(broken_dependencies(read_installed(env), env.python)))
    for name in ("old-only", "win-only", "not-installed-extra-dep", "missing-fancy-dep", "py2-only",
                 "extra-missing", "pre "):
        assert name not in text


def test_wheel_tags_unsupported_here_are_reported(broken: Path) -> None:
    env = read_environment(broken, "in-project")
    [unsupported] = [b for b in broken_dependencies(read_installed(env), env.python) if b.unsupported]
    assert unsupported.message == "plat 3.0 is not supported on this platform"


def test_markers_use_the_venv_python_version(tmp_path: Path, venv_factory: VenvFactory) -> None:
    venv = venv_factory()
    build_wheel(tmp_path, "needs-old", "1.0", requires=['tomli; python_version < "3.11"'])
    pip_install(venv, "needs-old", find_links=tmp_path, args=["--no-deps"])
    installed = installed_in(venv)
    assert messages(broken_dependencies(installed, "3.10.13")) == \
        {"needs-old 1.0 requires tomli, which is not installed."}
    assert broken_dependencies(installed, "3.11.7") == []


def test_broken_dependencies_equal_pip_check_in_a_venv_of_another_python(
        tmp_path: Path, pyenv_python: Callable[[str], Path]) -> None:
    interpreter = pyenv_python("3.12")
    venv = make_venv(tmp_path / "venv", interpreter)
    build_wheel(tmp_path / "wheels", "versioned", "1.0", requires=[
        'before-312; python_version < "3.12"', 'from-312; python_version >= "3.12"',
        'full-version; python_full_version >= "3.12.0"'])
    pip_install(venv, "versioned", find_links=tmp_path / "wheels", args=["--no-deps"])
    env = read_environment(venv, "in-project")
    ours = messages(broken_dependencies(read_installed(env), env.python))
    assert ours == pip_check(venv)
    assert ours == {"versioned 1.0 requires from-312, which is not installed.",
                    "versioned 1.0 requires full-version, which is not installed."}


def test_nothing_broken_is_an_empty_list(populated: Path) -> None:
    env = read_environment(populated, "in-project")
    assert broken_dependencies(read_installed(env), env.python) == []
    assert pip_check(populated) == set()


# ----------------------------------------------------------------------------------------------------
# Totality
# ----------------------------------------------------------------------------------------------------

_scratch = Path(tempfile.mkdtemp(prefix="venvsense-hypothesis-"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_any_bytes_as_pyvenv_cfg_never_raise(data: bytes) -> None:
    venv = _scratch / "cfg"
    (venv / "lib/python3.11/site-packages").mkdir(parents=True, exist_ok=True)
    write_cfg(venv, data)
    env = read_environment(venv, "in-project")
    assert isinstance(env, Environment)


def _metadata_with(requirement: str) -> bytes:
    return f"Name: x\nVersion: 1\nRequires-Dist: {requirement}\n".encode(errors="surrogatepass")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=600), st.text(max_size=300).map(_metadata_with)))
def test_any_bytes_as_metadata_never_raise(data: bytes) -> None:
    site = _scratch / "meta" / "lib/python3.11/site-packages"
    for name, filename in (("any-1.0.dist-info", "METADATA"), ("any_egg.egg-info", "PKG-INFO")):
        (site / name).mkdir(parents=True, exist_ok=True)
        (site / name / filename).write_bytes(data)
        (site / name / "RECORD").write_bytes(data)
        (site / name / "top_level.txt").write_bytes(data)
    (site / "any_egg.egg-info" / "requires.txt").write_bytes(data)
    (site / "lone.egg-info").write_bytes(data)
    clear_cache()
    env = Environment(_scratch / "meta", "in-project", None, "3.11.7", (site,))
    installed = read_installed(env)
    broken_dependencies(installed, "3.11.7")
    broken_dependencies(installed, None)


def teardown_module() -> None:
    shutil.rmtree(_scratch, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------
# Hostile site-packages: nothing but regular files is read, and never without a bound
# ----------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_a_device_as_metadata_is_not_read_and_does_not_hang(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / ".venv")
    site = venv / "lib/python3.11/site-packages"
    fifo = site / "big-1.0.dist-info"
    fifo.mkdir()
    os.mkfifo(fifo / "METADATA")  # opening it for reading would block until a writer comes
    zero = site / "zero-1.0.dist-info"
    zero.mkdir()
    (zero / "METADATA").symlink_to("/dev/zero")  # reading it whole would never end
    (zero / "RECORD").symlink_to("/dev/zero")
    installed = installed_in(venv)  # returns (the test would hang or run out of memory otherwise)
    for name in ("big", "zero"):
        dist = installed.distributions[name]
        assert dist.version == "1.0" and "METADATA is missing or unreadable" in (dist.problem or "")


def test_a_fifo_as_pyvenv_cfg_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    venv = fake_venv(tmp_path / ".venv", cfg=None)
    os.mkfifo(venv / "pyvenv.cfg")
    environment = read_environment(venv, "configured")
    assert any("not a regular file" in problem for problem in environment.problems)


def test_an_oversized_metadata_file_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    venv = fake_venv(tmp_path / ".venv")
    dist = venv / "lib/python3.11/site-packages/huge-1.0.dist-info"
    dist.mkdir()
    with open(dist / "METADATA", "wb") as handle:  # a sparse 3 GB file: headers, then nothing but zeros
        handle.write(b"Metadata-Version: 2.1\nName: huge\nVersion: 1.0\n\n")
        handle.truncate(3 * 1024 ** 3)
    [dist_read] = [d for d in installed_in(venv).distributions.values() if d.normalized == "huge"]
    assert dist_read.version == "1.0"


def test_pip_checks_answer_is_computed_once_per_venv_state_and_again_after_an_install(tmp_path: Path) -> None:
    # every project of a workspace asks for the same venv's answer: one computation per venv state (issue 13),
    # and a changed venv is a new state
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "app", "1.0", requires=["helper>=1"])
    build_wheel(wheels, "helper", "1.0")
    venv = make_venv(tmp_path / "venv")
    pip_install(venv, "app", find_links=wheels, args=["--no-deps"])
    env = read_environment(venv, "in-project")
    installed = read_installed(env)
    first = broken_dependencies(installed, env.python)
    assert messages(first) == {"app 1.0 requires helper, which is not installed."}
    first.clear()  # a caller's list is its own: the kept answer is not changed through it
    again = broken_dependencies(read_installed(env), env.python)
    assert read_installed(env) is installed and messages(again) == {"app 1.0 requires helper, which is not installed."}
    pip_install(venv, "helper", find_links=wheels)
    assert broken_dependencies(read_installed(read_environment(venv, "in-project")), env.python) == []


# Requires-Dist values as real METADATA files write them, and the odd ones packaging reads differently or rejects
_REQUIRES_DIST = (
    "requests", "requests>=2.0", "requests (>=2.0,<3)", "requests (>=2.0) ; extra == 'socks'",
    "Django>=4.2; python_version >= \"3.10\"", "pywin32>=300; sys_platform == 'win32' and extra == 'all'",
    "zope.interface", "typing_extensions>=4.6; python_version < '3.13'", "attrs[tests]>=21.3; extra == 'dev'",
    "black[ d , jupyter ]==24.1", "name@ https://example.org/x.whl", "name @ file:///tmp/x.whl ; os_name == 'nt'",
    "foo ==1.0 ; python_version > '3' ; extra == 'x'", "foo (>=1", "foo>=1;", "foo; python_version >< '3'",
    "-e foo", "foo bar", "", "1foo", "foo[bar", "foo ~= 1.4.2", "foo===1.0", "foo>=1.0.*", "foo==1.0.*",
    "foo; extra == \"a;b\"", "foo\t>=\t1.0",
)


@pytest.mark.parametrize("text", _REQUIRES_DIST)
def test_parse_requirement_reads_requires_dist_as_packaging_does(text: str) -> None:
    from packaging.requirements import Requirement

    from venvsense.environment.pipcheck import parse_requirement

    try:
        expected: Requirement | None = Requirement(text.strip())
    except ValueError:
        expected = None
    made = parse_requirement(text)
    if expected is None:
        assert made is None
        return
    assert made is not None
    assert (made.name, made.url, made.extras, made.specifier, made.marker, str(made)) == (
        expected.name, expected.url, expected.extras, expected.specifier, expected.marker, str(expected))
