"""Imports compared with what is declared and installed (VS301–VS303), on real projects and real venvs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import write
from support.wheels import build_wheel, pip_install
from venvsense.check import ProjectReport, check_project
from venvsense.config import Settings
from venvsense.findings import Severity
from venvsense.model import project_at


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("wheels")
    build_wheel(house, "PyYAML", "6.0.2", modules=["yaml", "_yaml"])
    build_wheel(house, "requests", "2.32.3", requires=["urllib3>=2"])
    build_wheel(house, "urllib3", "2.2.3")
    build_wheel(house, "beautifulsoup4", "4.12.3", modules=["bs4"])
    build_wheel(house, "google-cloud-storage", "2.18.2", modules=[], top_level=False,
                files={"google/cloud/storage/__init__.py": ""})
    build_wheel(house, "protobuf", "5.28.3", modules=[], top_level=False, files={"google/protobuf/__init__.py": ""})
    build_wheel(house, "pytest", "8.3.3", modules=["pytest", "_pytest"])
    build_wheel(house, "pytest-cov", "6.0.0", modules=["pytest_cov"])
    build_wheel(house, "types-requests", "2.32.0", modules=["requests-stubs"], top_level=False,
                files={"requests-stubs/__init__.pyi": ""})
    return house


@pytest.fixture
def project(tmp_path: Path, venv_factory: Callable[..., Path], wheels: Path) -> Callable[..., Path]:
    def make(files: dict[str, str], install: tuple[str, ...] = (), venv: bool = True) -> Path:
        root = write(tmp_path / "proj", files)
        if venv:
            venv_factory(".venv", parent=root)
            if install:
                pip_install(root / ".venv", *install, find_links=wheels)
        return root

    return make


def check(root: Path, settings: Settings | None = None) -> ProjectReport:
    return check_project(project_at(root), settings, environ={})


def found(report: ProjectReport, code: str) -> list[tuple[str, int, str | None]]:
    return [(f.file.name, f.range.start.line, f.package) for f in report.findings if f.code == code]


def test_import_that_nothing_installed_provides_names_the_distribution(project):
    root = project({"requirements.txt": "", "app/report.py": "import os\n\nimport yaml\n"})
    [finding] = [f for f in check(root).findings if f.code == "VS301"]
    assert finding.message == "'yaml' is imported but not installed in .venv (PyYAML provides it)"
    assert (finding.range.start.line, finding.range.start.column, finding.range.end.column) == (2, 7, 11)
    assert finding.package == "pyyaml" and finding.severity == Severity.ERROR


def test_unknown_import_gets_a_guess_marked_as_a_guess(project):
    root = project({"requirements.txt": "", "a.py": "import frobnicate_tools\n"})
    [finding] = [f for f in check(root).findings if f.code == "VS301"]
    assert "a guess" in finding.message and "frobnicate-tools" in finding.message


def test_optional_and_type_checking_imports_are_hints(project):
    root = project({"requirements.txt": "", "a.py": (
        "from typing import TYPE_CHECKING\n"
        "try:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
        "if TYPE_CHECKING:\n    import numpy\n")})
    severities = {f.package: f.severity for f in check(root).findings if f.code == "VS301"}
    assert severities == {"ujson": Severity.HINT, "numpy": Severity.HINT}


def test_future_stdlib_and_relative_imports_are_never_reported(project):
    root = project({"requirements.txt": "", "pkg/__init__.py": "", "pkg/a.py": (
        "from __future__ import annotations\nimport json, os.path\nfrom . import b\nfrom .b import c\n"),
        "pkg/b.py": ""})
    assert check(root).findings == []


def test_stdlib_is_judged_for_the_venvs_python(tmp_path, venv_factory, pyenv_python):
    root = write(tmp_path / "proj", {"requirements.txt": "", "a.py": "import tomllib\n"})
    venv_factory(".venv", python=pyenv_python("3.10"), parent=root)
    assert found(check(root), "VS301") == [("a.py", 0, "tomllib")]


def test_undeclared_import_installed_as_a_dependency(project):
    root = project({"requirements.txt": "requests\n", "a.py": "import requests\nimport urllib3\n"},
                   install=("requests",))
    [finding] = [f for f in check(root).findings if f.code == "VS302"]
    assert finding.message == ("'urllib3' is imported but not declared "
                               "(installed: urllib3 2.2.3, only as a dependency of requests)")


def test_undeclared_import_installed_by_hand(project):
    root = project({"requirements.txt": "", "a.py": "import yaml\n"}, install=("PyYAML",))
    [finding] = [f for f in check(root).findings if f.code == "VS302"]
    assert finding.message == "'yaml' is imported but not declared (installed: PyYAML 6.0.2, installed by hand)"


def test_distribution_whose_module_has_another_name(project):
    root = project({"requirements.txt": "beautifulsoup4\n", "a.py": "from bs4 import BeautifulSoup\n"},
                   install=("beautifulsoup4",))
    assert check(root).findings == []


def test_namespace_packages_map_to_the_right_distribution(project):
    root = project({"requirements.txt": "google-cloud-storage\n",
                    "a.py": "from google.cloud import storage\nimport google.protobuf\n"},
                   install=("google-cloud-storage", "protobuf"))
    report = check(root)
    assert found(report, "VS302") == [("a.py", 1, "protobuf")]
    assert found(report, "VS303") == []


def test_a_local_folder_shadowing_a_dependency_is_first_party(project):
    root = project({"requirements.txt": "", "requests/__init__.py": "", "a.py": "import requests\n"})
    report = check(root)
    assert found(report, "VS301") == [] and found(report, "VS302") == []


def test_module_next_to_the_importing_script_is_first_party(project):
    root = project({"requirements.txt": "", "scripts/run.py": "import helpers\n", "scripts/helpers.py": ""})
    assert check(root).findings == []


def test_declared_but_never_imported(project):
    root = project({"requirements.txt": "requests\nPyYAML\n", "a.py": "import requests\n"},
                   install=("requests", "PyYAML"))
    [finding] = [f for f in check(root).findings if f.code == "VS303"]
    assert finding.message == "'PyYAML' is declared but never imported"
    assert (finding.file.name, finding.range.start.line, finding.severity) == ("requirements.txt", 1,
                                                                              Severity.INFORMATION)


def test_tools_used_without_import_are_not_unused(project):
    root = project({"requirements.txt": "pytest-cov\ntypes-requests\nruff\nuvicorn\n",
                    "conftest.py": "import pytest\n", "a.py": "x = 1\n"},
                   install=("pytest", "pytest-cov", "types-requests"))
    report = check(root)
    assert found(report, "VS303") == []
    assert found(report, "VS302") == [("conftest.py", 0, "pytest")]


def test_used_without_import_setting_extends_the_allow_list(project):
    root = project({"requirements.txt": "PyYAML\n", "a.py": "x = 1\n"}, install=("PyYAML",))
    assert found(check(root, Settings(used_without_import=("pyyaml",))), "VS303") == []


def test_transitive_pins_of_a_lock_file_are_never_unused(project):
    lock = ("#\n# This file is autogenerated by pip-compile with Python 3.11\n#\n"
            "requests==2.32.3\n    # via -r requirements.in\nurllib3==2.2.3\n    # via requests\n")
    root = project({"requirements.in": "requests\n", "requirements.txt": lock, "a.py": "import requests\n"},
                   install=("requests==2.32.3",))
    report = check(root)
    assert found(report, "VS303") == []
    assert [f.code for f in report.findings] == []


def test_no_environment_means_no_import_not_installed(project):
    root = project({"requirements.txt": "PyYAML\n", "a.py": "import yaml\n"}, venv=False)
    assert sorted(f.code for f in check(root).findings) == ["VS101"]


def test_nested_projects_imports_belong_to_the_nested_project(project):
    root = project({"requirements.txt": "", "a.py": "", "sub/requirements.txt": "", "sub/b.py": "import yaml\n"})
    assert found(check(root), "VS301") == []


def test_gitignored_and_excluded_files_are_not_scanned(project):
    root = project({"requirements.txt": "", ".gitignore": "generated/\n", "generated/x.py": "import yaml\n",
                    "legacy/y.py": "import yaml\n", "pyproject.toml": "[tool.venvsense]\nexclude = ['legacy/*']\n"})
    assert found(check(root), "VS301") == []


def test_ignore_setting_per_code_and_package(project):
    root = project({"requirements.txt": "", "a.py": "import yaml\nimport toml\n"})
    report = check(root, Settings(ignore={"VS301": frozenset({"pyyaml"})}))
    assert [f.package for f in report.findings if f.code == "VS301"] == ["toml"]


def test_module_map_setting_decides_the_provider(project):
    root = project({"requirements.txt": "my-yaml-fork\n", "a.py": "import yaml\n"}, install=("PyYAML",))
    report = check(root, Settings(module_map={"yaml": ("my-yaml-fork",)}))
    assert "VS303" not in [f.code for f in report.findings]


def test_check_imports_off(project):
    root = project({"requirements.txt": "", "a.py": "import yaml\n"})
    assert check(root, Settings(check_imports=False)).findings == []


def test_unsaved_buffer_is_scanned_instead_of_the_disk(project):
    root = project({"requirements.txt": "", "a.py": "import os\n"})
    report = check_project(project_at(root), None, environ={}, overrides={root / "a.py": "import yaml\n"})
    assert found(report, "VS301") == [("a.py", 0, "pyyaml")]


def test_show_imports_follows_the_contract(project):
    root = project({"requirements.txt": "requests\n", "a.py": (
        "import os\nimport requests\nfrom . import sibling\ntry:\n    import yaml\nexcept ImportError:\n    pass\n")},
        install=("requests",))
    result = subprocess.run([sys.executable, "-m", "venvsense", "show", "imports", str(root), "--format", "json"],
                            capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    imports = json.loads(result.stdout)["projects"][0]["imports"]
    assert imports == [
        {"module": "os", "level": 0, "top": "os", "file": "a.py", "line": 1, "column": 8, "kind": "stdlib",
         "optional": False, "type_checking": False, "distribution": None, "scope": "package"},
        {"module": "requests", "level": 0, "top": "requests", "file": "a.py", "line": 2, "column": 8,
         "kind": "third-party", "optional": False, "type_checking": False, "distribution": "requests",
         "scope": "package"},
        {"module": "", "level": 1, "top": "", "file": "a.py", "line": 3, "column": 6, "kind": "relative",
         "optional": False, "type_checking": False, "distribution": None, "scope": "package"},
        {"module": "yaml", "level": 0, "top": "yaml", "file": "a.py", "line": 5, "column": 12, "kind": "third-party",
         "optional": True, "type_checking": False, "distribution": None, "scope": "package"},
    ]


def test_recheck_sees_a_new_module_next_to_the_script(project):
    root = project({"requirements.txt": "", "scripts/run.py": "import helpers\n"})
    assert found(check(root), "VS301") == [("run.py", 0, "helpers")]
    (root / "scripts" / "helpers.py").write_text("")
    assert found(check(root), "VS301") == []
    (root / "scripts" / "helpers.py").unlink()
    assert found(check(root), "VS301") == [("run.py", 0, "helpers")]


def test_recheck_sees_a_new_namespace_folder_next_to_the_script(project):
    root = project({"requirements.txt": "", "scripts/run.py": "import helpers\n", "scripts/helpers/data.json": ""})
    assert found(check(root), "VS301") == [("run.py", 0, "helpers")]
    (root / "scripts" / "helpers" / "code.py").write_text("")
    assert found(check(root), "VS301") == []


def test_recheck_sees_an_install(project, wheels):
    root = project({"requirements.txt": "pyyaml\n", "a.py": "import yaml\n"})
    assert found(check(root), "VS301") == [("a.py", 0, "pyyaml")]
    pip_install(root / ".venv", "PyYAML", find_links=wheels)
    assert found(check(root), "VS301") == []


def test_import_of_a_declared_but_missing_distribution_points_at_the_declaration(project):
    root = project({"requirements.txt": "PyYAML==6.0.2\n", "a.py": "import yaml\n"})
    [finding] = [f for f in check(root).findings if f.code == "VS301"]
    assert finding.message == ("'yaml' is imported but not installed in .venv "
                               "(declared as PyYAML==6.0.2 in requirements.txt)")


def test_a_missing_import_points_at_the_declaration_of_the_closest_name(project):
    # `pytest-asyncio` also provides `pytest.asyncio` (under `pytest`): `import pytest` is pytest's; a namespace
    # above a declared portion (`google.cloud`) is that portion's; a name no declaration is at, above or under
    # (`yaml`) is declared by none
    root = project({"requirements.txt": "pytest-asyncio\nrequests\npytest\ngoogle-cloud-storage\n",
                    "a.py": "import pytest\nimport pytest_asyncio\nfrom google.cloud import storage\n"
                            "import yaml\nimport requests\n"})
    messages = {f.range.start.line: f.message for f in check(root).findings if f.code == "VS301"}
    assert "(declared as pytest in requirements.txt)" in messages[0]
    assert "(declared as pytest-asyncio in requirements.txt)" in messages[1]
    assert "(declared as google-cloud-storage in requirements.txt)" in messages[2]
    assert "declared as" not in messages[3]
    assert "(declared as requests in requirements.txt)" in messages[4]


def test_messages_name_a_foreign_venv_by_its_path(project, venv_factory, tmp_path):
    other = venv_factory("other", parent=tmp_path / "project-a")
    root = project({"requirements.txt": "", "a.py": "import yaml\n"}, venv=False)
    report = check_project(project_at(root), None, environ={"VIRTUAL_ENV": str(other)})
    [finding] = [f for f in report.findings if f.code == "VS301"]
    assert "not installed in ../project-a/other " in finding.message


def test_unused_is_reported_on_the_in_file_not_on_its_compiled_pins(project):
    lock = "# This file is autogenerated by pip-compile\nPyYAML==6.0.2\n    # via -r requirements.in\n"
    root = project({"requirements.in": "PyYAML\n", "requirements.txt": lock, "a.py": "x = 1\n"},
                   install=("PyYAML",))
    assert found(check(root), "VS303") == [("requirements.in", 0, "pyyaml")]


# --- the CLI's on-disk cache (scans and classification): a warm run never serves a stale answer -----------------


def _large_project(root: Path) -> Path:
    """A project big enough for the on-disk cache, its files written well before the cache is."""
    from venvsense.imports import PERSISTENT_MIN_FILES

    old = time.time_ns() - 60_000_000_000
    for index in range(PERSISTENT_MIN_FILES):
        path = root / "app" / f"part{index // 100}" / f"m{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import os\nimport json\nfrom app import helpers\n", encoding="utf-8")
        os.utime(path, ns=(old, old))
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "helpers.py").write_text("")
    for path in root.rglob("*.py"):
        if ".venv" not in path.parts:
            os.utime(path, ns=(old, old))
    return root


def _cli_imports(root: Path, cache: Path) -> list[tuple[str, str, str, str | None]]:
    env = {"PATH": "/usr/bin:/bin", "VENVSENSE_CACHE_DIR": str(cache)}
    result = subprocess.run([sys.executable, "-m", "venvsense", "show", "imports", str(root), "--format", "json"],
                            capture_output=True, text=True, check=True, env=env)
    rows = json.loads(result.stdout)["projects"][0]["imports"]
    return sorted((row["file"], row["module"], row["kind"], row["distribution"]) for row in rows)


def _uncached(root: Path, tmp_path: Path) -> list[tuple[str, str, str, str | None]]:
    return _cli_imports(root, tmp_path / "no-such-cache-used-once" / str(time.monotonic_ns()))


def test_warm_cli_run_sees_a_changed_file(project, tmp_path):
    root = _large_project(project({"requirements.txt": ""}))
    cache = tmp_path / "cache"
    first = _cli_imports(root, cache)
    assert list(cache.iterdir())  # the cache was written (outside the project)
    assert _cli_imports(root, cache) == first
    changed = root / "app" / "part0" / "m0.py"
    changed.write_text("import os\nimport yaml\n", encoding="utf-8")
    warm = _cli_imports(root, cache)
    assert ("app/part0/m0.py", "yaml", "third-party", None) in warm
    assert warm == _uncached(root, tmp_path)


def test_warm_cli_run_sees_an_install_into_the_venv(project, tmp_path, wheels):
    root = _large_project(project({"requirements.txt": "PyYAML\n", "tool.py": "import yaml\n"}))
    cache = tmp_path / "cache"
    _cli_imports(root, cache)
    assert ("tool.py", "yaml", "third-party", None) in _cli_imports(root, cache)
    pip_install(root / ".venv", "PyYAML", find_links=wheels)
    warm = _cli_imports(root, cache)
    assert ("tool.py", "yaml", "third-party", "pyyaml") in warm
    assert warm == _uncached(root, tmp_path)


def test_warm_cli_run_sees_a_changed_setting(project, tmp_path):
    root = _large_project(project({"requirements.txt": "", "tool.py": "import yaml\n"}))
    cache = tmp_path / "cache"
    _cli_imports(root, cache)
    assert ("tool.py", "yaml", "third-party", None) in _cli_imports(root, cache)
    (root / "pyproject.toml").write_text('[tool.venvsense]\nknown-first-party = ["yaml"]\n', encoding="utf-8")
    warm = _cli_imports(root, cache)
    assert ("tool.py", "yaml", "first-party", None) in warm
    assert warm == _uncached(root, tmp_path)


def test_warm_cli_run_sees_a_new_module_next_to_a_script(project, tmp_path):
    root = _large_project(project({"requirements.txt": "", "scripts/run.py": "import helpers2\n"}))
    cache = tmp_path / "cache"
    _cli_imports(root, cache)
    assert ("scripts/run.py", "helpers2", "third-party", None) in _cli_imports(root, cache)
    (root / "scripts" / "helpers2.py").write_text("", encoding="utf-8")
    warm = _cli_imports(root, cache)
    assert ("scripts/run.py", "helpers2", "first-party", None) in warm
    assert warm == _uncached(root, tmp_path)


def test_corrupt_on_disk_cache_is_never_fatal(project, tmp_path):
    root = _large_project(project({"requirements.txt": ""}))
    cache = tmp_path / "cache"
    first = _cli_imports(root, cache)
    for path in cache.iterdir():
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    assert _cli_imports(root, cache) == first
    assert _cli_imports(root, cache) == first


def test_a_files_imports_are_classified_when_asked_and_agree_with_the_whole(project):
    root = project({"requirements.txt": "requests\n", "pkg/__init__.py": "", "pkg/a.py": (
        "import os\nimport requests\nfrom . import b\nimport pkg.b\nimport yaml\n"), "pkg/b.py": "import json\n"},
        install=("requests",))
    usage = check(root).usage
    assert usage is not None
    a, b = root / "pkg" / "a.py", root / "pkg" / "b.py"
    assert [(i.module, i.kind) for i in usage.of_file(a)] == [
        ("os", "stdlib"), ("requests", "third-party"), ("", "relative"), ("pkg.b", "first-party"),
        ("yaml", "third-party")]
    assert usage.of_file(a) == [i for i in usage.imports if i.file == a]
    assert usage.of_file(b) == [i for i in usage.imports if i.file == b]
    assert usage.of_file(root / "nowhere.py") == []
    assert usage.third_party == [i for i in usage.imports if i.kind == "third-party"]
    assert [i.distribution for i in usage.third_party] == ["requests", None]


def test_missing_imports_of_one_module_share_their_message_and_data(project):
    files = {f"m{n}.py": "import os\nimport yaml\n" for n in range(3)}
    root = project({"requirements.txt": "", **files})
    missing = [f for f in check(root).findings if f.code == "VS301"]
    assert len(missing) == 3 and len({f.file for f in missing}) == 3
    # a large project has thousands of these: one message and one data object serve them all
    assert all(f.message is missing[0].message and f.data is missing[0].data for f in missing)
    assert all(f.range is missing[0].range for f in missing)
    assert missing[0].data == {"module": "yaml"}
