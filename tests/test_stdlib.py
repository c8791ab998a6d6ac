"""The standard library's top-level names, per target Python version."""

from __future__ import annotations

import subprocess
import sys

import pytest

from support.wheels import find_pyenv_python
from venvsense.stdlib import is_stdlib, nearest_listed_version, stdlib_modules

VERSIONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["__future__", "_thread", "asyncio", "os", "sys", "json", "test", "typing"])
def test_names_in_every_supported_version(name: str, version: str) -> None:
    assert is_stdlib(name, version)


def test_tomllib_arrived_in_3_11() -> None:
    assert not is_stdlib("tomllib", "3.10")
    assert not is_stdlib("tomllib", "3.10.13")
    assert is_stdlib("tomllib", "3.11")
    assert is_stdlib("tomllib", "3.11.7")


def test_distutils_left_in_3_12() -> None:
    assert is_stdlib("distutils", "3.11")
    assert not is_stdlib("distutils", "3.12")
    assert not is_stdlib("distutils", "3.13.0")


def test_dead_batteries_left_in_3_13() -> None:
    assert is_stdlib("cgi", "3.12") and not is_stdlib("cgi", "3.13")
    assert is_stdlib("imp", "3.11") and not is_stdlib("imp", "3.12")


def test_python_2_had_no_asyncio_and_no_underscore_thread() -> None:
    assert not is_stdlib("asyncio", "2.7")
    assert not is_stdlib("_thread", "2.7")
    assert is_stdlib("thread", "2.7")


def test_only_top_level_names_are_listed() -> None:
    for version in [*VERSIONS, None]:
        names = stdlib_modules(version)
        assert not any("." in name for name in names)
        assert "os" in names and "xml" in names and "email" in names


def test_a_dotted_name_is_judged_by_its_top() -> None:
    assert is_stdlib("os.path", "3.12")
    assert is_stdlib("xml.etree.ElementTree", "3.12")
    assert not is_stdlib("yaml.constructor", "3.12")


@pytest.mark.parametrize("name", ["requests", "yaml", "numpy", "venvsense", "pytest", "setuptools"])
def test_third_party_names_are_not_stdlib(name: str) -> None:
    for version in [*VERSIONS, None]:
        assert not is_stdlib(name, version)


def test_nearest_listed_version() -> None:
    assert nearest_listed_version("3.11.7") == "3.11"
    assert nearest_listed_version("3.13.0rc1") == "3.13"
    assert nearest_listed_version("3.99") == "3.14"  # newer than the package knows: its newest list
    assert nearest_listed_version("3.1") == "3.2"  # not listed: the oldest of that major version
    assert nearest_listed_version("4.0") == "3.14"
    assert nearest_listed_version("1.5") == "2.6"  # below every list: the oldest
    with pytest.raises(ValueError):
        nearest_listed_version("three")


def test_a_future_version_gets_the_newest_list() -> None:
    assert stdlib_modules("3.99") == stdlib_modules("3.14")


def test_none_and_unreadable_versions_mean_the_running_interpreter() -> None:
    running = stdlib_modules(None)
    assert set(sys.stdlib_module_names) <= running
    assert stdlib_modules("garbage") == running
    assert stdlib_modules(RUNNING) == running


def test_results_are_cached() -> None:
    assert stdlib_modules("3.12") is stdlib_modules("3.12")


@pytest.mark.parametrize("version", ["3.10", "3.12", "3.13"])
def test_list_agrees_with_a_real_interpreter_of_that_version(version: str) -> None:
    python = find_pyenv_python(version)
    if python is None:
        pytest.skip(f"no pyenv Python {version}")
    result = subprocess.run([str(python), "-c", "import sys; print('\\n'.join(sys.stdlib_module_names))"],
                            capture_output=True, text=True, check=True)
    real = set(result.stdout.split())
    ours = stdlib_modules(version)
    assert ("tomllib" in real) == ("tomllib" in ours)
    assert ("distutils" in real) == ("distutils" in ours)
    # every public module the interpreter reports is known for that version
    public = {name for name in real if not name.startswith("_")}
    assert public - ours == set()
