"""Import name ↔ distribution: the curated table, the resolution order, namespace packages, the reverse
direction, typing-only and used-without-import distributions."""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from support.wheels import build_wheel, pip_install
from venvsense.environment import Installed, read_environment, read_installed
from venvsense.mapping import (
    CURATED_TABLE,
    CuratedEntry,
    ModuleIndex,
    Provider,
    covers,
    curated_table,
    guess_distribution,
    guess_modules,
)
from venvsense.usedwithout import DEFAULT_NOT_IMPORTED, is_typing_only, is_used_without_import

VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)  # PEP 508
NORMALIZED = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # PEP 503


def _duplicate_keys() -> list[str]:
    """Keys written twice anywhere in the table file (``json.load`` would silently keep the last)."""
    duplicates: list[str] = []

    def hook(items: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in items]
        duplicates.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(items)

    json.loads(CURATED_TABLE.read_text(encoding="utf-8"), object_pairs_hook=hook)
    return duplicates


ENTRIES = sorted(curated_table().items())


# --- the curated table, one test per entry -----------------------------------------------------------

def test_the_table_has_no_duplicate_keys_and_at_least_150_entries() -> None:
    assert _duplicate_keys() == []
    assert len(ENTRIES) >= 150


@pytest.mark.parametrize(("module", "entry"), ENTRIES, ids=[m for m, _ in ENTRIES])
def test_curated_entry_is_well_formed_and_resolves(module: str, entry: CuratedEntry) -> None:
    # the key is a valid dotted import name
    parts = module.split(".")
    assert all(p.isidentifier() and not keyword.iskeyword(p) for p in parts), module
    # every distribution is a valid name whose normalized form is well formed
    assert entry.distributions
    for name in entry.distributions:
        assert VALID_NAME.match(name), name
        assert NORMALIZED.match(canonicalize_name(name)), name
    assert len({canonicalize_name(n) for n in entry.distributions}) == len(entry.distributions)
    # and it says where the fact comes from
    assert entry.source.strip()
    assert "https://" in entry.source
    # a top-level entry is only there because the name alone would guess wrong (or, for a private
    # companion module such as _pytest, to say which distribution ships it)
    if len(parts) == 1 and not module.startswith("_"):
        assert any(canonicalize_name(n) != guess_distribution(module) for n in entry.distributions)
    # with nothing installed, the entry answers for the module and for anything inside it
    index = ModuleIndex(None)
    expected = [canonicalize_name(n) for n in entry.distributions]
    for imported in (module, f"{module}.something"):
        found = index.providers(imported)
        assert [p.distribution for p in found] == expected
        assert {p.how for p in found} == {"curated"}
        assert found[0].name == entry.distributions[0]
    # and the reverse direction knows the distribution provides it
    for name in entry.distributions:
        assert module in index.distribution_modules(canonicalize_name(name))


# --- a sample of entries checked against real wheels installed in a real venv ------------------------

# (distribution, the import name the curated table gives it, archive members of the wheel)
REAL_SAMPLE: list[tuple[str, str, dict[str, str]]] = [
    ("PyYAML", "yaml", {"yaml/__init__.py": "", "_yaml/__init__.py": ""}),
    ("Pillow", "PIL", {"PIL/__init__.py": "", "PIL/Image.py": ""}),
    ("beautifulsoup4", "bs4", {"bs4/__init__.py": ""}),
    ("python-dotenv", "dotenv", {"dotenv/__init__.py": ""}),
    ("scikit-learn", "sklearn", {"sklearn/__init__.py": ""}),
    ("opencv-python", "cv2", {"cv2/__init__.py": ""}),
    ("PyJWT", "jwt", {"jwt/__init__.py": ""}),
    ("python-dateutil", "dateutil", {"dateutil/__init__.py": "", "dateutil/parser.py": ""}),
    ("attrs", "attr", {"attr/__init__.py": "", "attrs/__init__.py": ""}),
    ("pyserial", "serial", {"serial/__init__.py": ""}),
    ("pycryptodome", "Crypto", {"Crypto/__init__.py": ""}),
    ("pyOpenSSL", "OpenSSL", {"OpenSSL/__init__.py": ""}),
    ("protobuf", "google.protobuf", {"google/protobuf/__init__.py": "", "google/_upb/_message.py": ""}),
    ("google-cloud-storage", "google.cloud.storage",
     {"google/cloud/storage/__init__.py": "", "google/cloud/storage/blob.py": ""}),
    ("google-cloud-core", "google.cloud.client",
     {"google/cloud/client.py": "", "google/cloud/exceptions.py": ""}),
    ("zope.interface", "zope.interface", {"zope/interface/__init__.py": ""}),
    ("backports.zoneinfo", "backports.zoneinfo", {"backports/zoneinfo/__init__.py": ""}),
    ("azure-storage-blob", "azure.storage.blob", {"azure/storage/blob/__init__.py": ""}),
    ("azure-core", "azure.core", {"azure/core/__init__.py": ""}),
]


@pytest.fixture(scope="module")
def sample_venv(session_venv_factory: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = tmp_path_factory.mktemp("mapping-wheels")
    paths = []
    for name, _module, files in REAL_SAMPLE:
        # namespace packages are written as real wheels write them: no __init__ in google/, zope/, ...
        paths.append(build_wheel(wheels, name, "1.0", modules=[], top_level=False, files=files))
    paths.append(build_wheel(wheels, "types-PyYAML", "1.0", modules=[], top_level=False,
                             files={"yaml-stubs/__init__.pyi": ""}))
    venv = session_venv_factory("mapping-sample")
    pip_install(venv, *map(str, paths), find_links=wheels)
    return venv


@pytest.fixture(scope="module")
def sample_installed(sample_venv: Path) -> Installed:
    return read_installed(read_environment(sample_venv, "in-project"))


def test_the_real_sample_covers_at_least_ten_curated_entries() -> None:
    table = curated_table()
    assert len(REAL_SAMPLE) >= 10
    for name, module, _ in REAL_SAMPLE:
        assert name in table[module].distributions


@pytest.mark.parametrize(("name", "module"), [(n, m) for n, m, _ in REAL_SAMPLE],
                         ids=[m for _, m, _ in REAL_SAMPLE])
def test_installed_wheel_provides_its_curated_import(sample_installed: Installed, name: str,
                                                    module: str) -> None:
    index = ModuleIndex(sample_installed)
    normalized = canonicalize_name(name)
    for imported in (module, f"{module}.sub"):
        found = index.providers(imported)
        assert [(p.distribution, p.how) for p in found] == [(normalized, "installed")], imported
        assert found[0].installed is sample_installed.distributions[normalized]
    assert any(covers(provided, module) for provided in index.distribution_modules(normalized))


def test_namespace_top_alone_is_ambiguous_between_its_installed_portions(sample_installed: Installed) -> None:
    index = ModuleIndex(sample_installed)
    assert {p.distribution for p in index.providers("google")} == {
        "protobuf", "google-cloud-storage", "google-cloud-core"}
    assert {p.how for p in index.providers("google")} == {"installed"}


def test_from_a_namespace_import_names_the_distributions_that_ship_below_it(
        sample_installed: Installed) -> None:
    # `from google.cloud import storage` is recorded as module "google.cloud"
    index = ModuleIndex(sample_installed)
    assert {p.distribution for p in index.providers("google.cloud")} == {
        "google-cloud-storage", "google-cloud-core"}


def test_installed_namespace_distribution_provides_only_its_portion(sample_installed: Installed) -> None:
    index = ModuleIndex(sample_installed)
    assert index.distribution_modules("google-cloud-storage") == ("google.cloud.storage",)
    # google/_upb/ has no __init__ in the real wheel either: the portion is the extension module
    assert set(index.distribution_modules("protobuf")) == {"google.protobuf", "google._upb._message"}
    assert index.distribution_modules("zope-interface") == ("zope.interface",)


def test_a_namespace_portion_nobody_installed_is_not_credited_to_a_sibling(
        sample_installed: Installed) -> None:
    # google-cloud-bigquery is not installed: protobuf / google-cloud-* also live under google/
    found = ModuleIndex(sample_installed).providers("google.cloud.bigquery.client")
    assert [(p.distribution, p.how, p.installed) for p in found] == [
        ("google-cloud-bigquery", "curated", None)]


def test_typing_only_distribution_never_provides_a_runtime_import(sample_installed: Installed) -> None:
    index = ModuleIndex(sample_installed)
    assert [p.distribution for p in index.providers("yaml")] == ["pyyaml"]
    assert index.distribution_modules("types-pyyaml") == ()


# --- resolution order, with small real venvs --------------------------------------------------------

@pytest.fixture
def install(venv_factory: Callable[..., Path], wheelhouse: Path) -> Callable[..., Installed]:
    def run(*wheels: tuple[str, dict[str, str]]) -> Installed:
        paths = [build_wheel(wheelhouse, name, "1.0", modules=[], top_level=False, files=files)
                 for name, files in wheels]
        venv = venv_factory()
        if paths:
            pip_install(venv, *map(str, paths), find_links=wheelhouse)
        return read_installed(read_environment(venv, "in-project"))

    return run


def test_longest_prefix_picks_protobuf_for_google_protobuf_and_cloud_storage_for_google_cloud() -> None:
    index = ModuleIndex(None)
    assert [p.distribution for p in index.providers("google.protobuf.message")] == ["protobuf"]
    assert [p.distribution for p in index.providers("google.cloud.storage.blob")] == ["google-cloud-storage"]
    assert [p.distribution for p in index.providers("google.cloud.pubsub_v1")] == ["google-cloud-pubsub"]


def test_only_protobuf_installed_does_not_provide_google_cloud_storage(
        install: Callable[..., Installed]) -> None:
    installed = install(("protobuf", {"google/protobuf/__init__.py": ""}))
    index = ModuleIndex(installed)
    found = index.providers("google.protobuf")
    assert [(p.distribution, p.how) for p in found] == [("protobuf", "installed")]
    assert [(p.distribution, p.how) for p in index.providers("google.cloud.storage")] == [
        ("google-cloud-storage", "curated")]


def test_namespace_portion_resolved_from_record_without_any_curated_entry(
        install: Callable[..., Installed]) -> None:
    installed = install(("acme-widgets", {"acme/widgets/__init__.py": ""}),
                        ("acme-gadgets", {"acme/gadgets/__init__.py": ""}))
    index = ModuleIndex(installed, curated={})
    assert [p.distribution for p in index.providers("acme.widgets.core")] == ["acme-widgets"]
    assert [p.distribution for p in index.providers("acme.gadgets")] == ["acme-gadgets"]
    assert {p.distribution for p in index.providers("acme")} == {"acme-widgets", "acme-gadgets"}


def test_installed_metadata_beats_the_curated_table(install: Callable[..., Installed]) -> None:
    installed = install(("yaml-fork", {"yaml/__init__.py": ""}))
    found = ModuleIndex(installed).providers("yaml.constructor")
    assert [(p.distribution, p.how) for p in found] == [("yaml-fork", "installed")]
    assert found[0].installed is installed.distributions["yaml-fork"]


def test_configured_module_map_beats_installed_and_curated(install: Callable[..., Installed]) -> None:
    installed = install(("yaml-fork", {"yaml/__init__.py": ""}))
    index = ModuleIndex(installed, module_map={"yaml": "My_Yaml", "google.cloud.storage": ["gcs-a", "gcs-b"]})
    found = index.providers("yaml")
    assert [(p.distribution, p.how, p.name) for p in found] == [("my-yaml", "configured", "My_Yaml")]
    assert found[0].installed is None
    assert [p.distribution for p in index.providers("google.cloud.storage.blob")] == ["gcs-a", "gcs-b"]
    # a configured name that is installed carries the installed distribution
    assert ModuleIndex(installed, module_map={"yml": "yaml-fork"}).providers("yml")[0].installed is not None
    assert "yaml" in index.distribution_modules("my-yaml")


def test_configured_prefix_only_applies_under_it() -> None:
    index = ModuleIndex(None, module_map={"google.cloud.storage": "gcs-fork"})
    assert [p.distribution for p in index.providers("google.protobuf")] == ["protobuf"]
    assert index.providers("google.cloud.storage")[0].how == "configured"


def test_unknown_import_is_guessed_from_its_name_and_marked_as_a_guess() -> None:
    found = ModuleIndex(None).providers("foo_bar.baz")
    assert found == [Provider("foo-bar", "guess")]
    assert found[0].how == "guess"
    assert guess_distribution("Foo_Bar") == "foo-bar"


def test_guess_carries_the_installed_distribution_of_that_name(install: Callable[..., Installed]) -> None:
    # installed metadata that names no module (top_level.txt empty) still lets the guess find it
    installed = install(("foo-bar", {"data/readme.txt": "x"}))
    found = ModuleIndex(installed).providers("foo_bar")
    assert found[0].how == "guess"
    assert found[0].installed is installed.distributions["foo-bar"]


def test_two_installed_distributions_shipping_one_module_are_both_providers(
        install: Callable[..., Installed]) -> None:
    installed = install(("PyJWT", {"jwt/__init__.py": ""}), ("jwt", {"jwt/__init__.py": ""}))
    assert {p.distribution for p in ModuleIndex(installed).providers("jwt")} == {"pyjwt", "jwt"}


def test_reverse_direction_uses_installed_metadata_first(install: Callable[..., Installed]) -> None:
    installed = install(("PyYAML", {"yaml/__init__.py": ""}))  # without _yaml, unlike the real wheel
    assert ModuleIndex(installed).distribution_modules("pyyaml") == ("yaml",)
    # not installed: the curated table's names, and always the distribution's own name
    assert set(ModuleIndex(None).distribution_modules("pyyaml")) == {"yaml", "_yaml", "pyyaml"}


def test_reverse_direction_guesses_from_the_name_when_nothing_is_known() -> None:
    index = ModuleIndex(None)
    assert index.distribution_modules("foo-bar")[0] == "foo_bar"
    assert "foo_bar" in index.distribution_modules("python-foo-bar")
    assert "serialish" in index.distribution_modules("pyserialish")
    assert "acme.thing" in index.distribution_modules("acme-thing")
    assert "requests" in index.distribution_modules("requests")


# --- small pure rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["types-requests", "types-PyYAML", "pandas-stubs", "django_stubs"])
def test_typing_only_distributions(name: str) -> None:
    assert is_typing_only(name)
    assert is_used_without_import(canonicalize_name(name))
    assert ModuleIndex(None).distribution_modules(name) == ()


@pytest.mark.parametrize("name", ["typing-extensions", "mypy-extensions", "stubs", "requests"])
def test_runtime_distributions_are_not_typing_only(name: str) -> None:
    assert not is_typing_only(name)


@pytest.mark.parametrize("name", [
    "pytest", "pytest-cov", "pytest-xdist", "ruff", "black", "flake8", "flake8-bugbear", "pylint", "mypy",
    "isort", "pre-commit", "coverage", "tox", "nox", "uvicorn", "gunicorn", "hypercorn", "daphne",
    "waitress", "setuptools", "wheel", "hatchling", "flit-core", "poetry-core", "pdm-backend", "build",
    "twine", "pip", "uv", "ipython", "jupyter", "sphinx", "sphinx-rtd-theme", "mkdocs",
    "mkdocs-material", "types-requests", "django-stubs",
])
def test_known_tools_are_used_without_import(name: str) -> None:
    assert is_used_without_import(name)


@pytest.mark.parametrize("name", ["requests", "django", "flask", "pytestify", "blackjack", "numpy"])
def test_libraries_are_expected_to_be_imported(name: str) -> None:
    assert not is_used_without_import(name)


def test_extra_patterns_match_any_spelling() -> None:
    assert not is_used_without_import("my-tool-cli")
    assert is_used_without_import("my-tool-cli", ["My_Tool*"])
    assert is_used_without_import("my-tool-cli", ["my.tool.cli"])


def test_every_default_pattern_has_a_reason() -> None:
    assert all(pattern == pattern.lower() and reason.strip() for pattern, reason in DEFAULT_NOT_IMPORTED)


def test_covers_same_inside_and_namespace_parent() -> None:
    assert covers("yaml", "yaml")
    assert covers("google.cloud.storage", "google.cloud.storage.blob")
    assert covers("google.cloud.storage", "google.cloud")
    assert not covers("google.cloud.storage", "google.protobuf")
    assert not covers("yaml", "yamlish")


def test_guess_modules_are_valid_import_names() -> None:
    for name in ("python-dateutil", "foo-bar-baz", "py", "django-environ", "nats-py", "3d-thing"):
        assert all(all(p.isidentifier() for p in m.split(".")) for m in guess_modules(name))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True), min_size=1, max_size=4))
def test_every_import_gets_at_least_one_provider_with_a_normalized_name(parts: list[str]) -> None:
    found = ModuleIndex(None).providers(".".join(parts))
    assert found
    assume(parts[0].strip("_"))  # "_" alone names no distribution
    assert all(NORMALIZED.match(p.distribution) for p in found)


# --- what a RECORD installs, and who requires whom (computed once per venv) ----------------------------------

def _layout_one_path_at_a_time(paths: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The RECORD reading as first written, every line split and judged on its own: the oracle of the reading
    that judges each folder once."""
    names: set[str] = set()
    regular: set[str] = set()
    for raw in paths:
        path = raw.replace("\\", "/")
        if path.startswith(("/", "../")) or not path:
            continue
        parts = path.split("/", 256)
        if len(parts) > 256:
            continue
        if parts[0].endswith((".dist-info", ".data", ".egg-info")) or "__pycache__" in parts:
            continue
        *folders, filename = parts
        if not all(re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", p) for p in folders):
            continue
        for k in range(1, len(folders) + 1):
            names.add(".".join(folders[:k]))
        if filename.endswith((".py", ".pyi")):
            stem = filename.rsplit(".", 1)[0]
        elif filename.endswith((".so", ".pyd")):
            stem = filename.split(".", 1)[0]
        else:
            continue
        if stem == "__init__":
            if folders:
                regular.add(".".join(folders))
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", stem):
            dotted = ".".join([*folders, stem])
            names.add(dotted)
            regular.add(dotted)
    return frozenset(names), frozenset(regular)


_RECORD_PARTS = st.sampled_from(["pkg", "sub", "_private", "a-b", "__pycache__", "x.dist-info", "x.data",
                                 "x.egg-info", "", "..", "1st", "ns"])
_RECORD_FILES = st.sampled_from(["__init__.py", "__init__.pyi", "mod.py", "mod.pyi", "fast.cpython-311-x86_64.so",
                                 "win.pyd", "data.txt", "bad-name.py", "RECORD", "", "x.dist-info", "__pycache__"])
_RECORD_PATHS = st.builds(
    lambda prefix, folders, filename, backslash: prefix + ("\\" if backslash else "/").join([*folders, filename]),
    st.sampled_from(["", "", "", "/", "../"]), st.lists(_RECORD_PARTS, max_size=4), _RECORD_FILES, st.booleans())


@settings(max_examples=1000, deadline=None)
@given(st.lists(_RECORD_PATHS, max_size=30))
def test_a_record_read_folder_by_folder_names_what_reading_it_line_by_line_names(paths: list[str]) -> None:
    from venvsense.mapping import _layout_from_paths

    layout = _layout_from_paths(paths)
    assert (layout.names, layout.regular) == _layout_one_path_at_a_time(paths)


def test_a_record_deeper_than_the_limit_names_nothing_below_it() -> None:
    from venvsense.mapping import _layout_from_paths

    for depth in (254, 255, 256, 257):
        paths = ["/".join(["d"] * depth + ["m.py"]), "top.py"]
        layout = _layout_from_paths(paths)
        assert (layout.names, layout.regular) == _layout_one_path_at_a_time(paths)
        assert ("d" in layout.names) == (depth <= 255)


def test_reverse_dependencies_judge_a_shared_marker_for_each_parent_and_extra(
        venv_factory: Callable[..., Path], wheelhouse: Path) -> None:
    # the same marker texts (one `Marker` object each) come back in several distributions, asked with different
    # extras: each distribution's answer is its own
    paths = [
        build_wheel(wheelhouse, "base", "1.0"),
        build_wheel(wheelhouse, "speedy", "1.0"),
        build_wheel(wheelhouse, "lib-a", "1.0", requires=['base; python_version >= "3"', 'speedy; extra == "fast"'],
                    extras={"fast": []}),
        build_wheel(wheelhouse, "lib-b", "1.0", requires=['base; python_version >= "3"', 'speedy; extra == "fast"'],
                    extras={"turbo": ["base"]}),
        build_wheel(wheelhouse, "lib-c", "1.0", requires=['speedy; python_version < "3"']),
    ]
    venv = venv_factory()
    pip_install(venv, *map(str, paths), find_links=wheelhouse)
    index = ModuleIndex(read_installed(read_environment(venv, "in-project")))
    dependents = index.dependents(None)
    assert set(dependents["base"]) == {("lib-a", None), ("lib-b", None), ("lib-b", "turbo")}
    assert dependents["speedy"] == (("lib-a", "fast"),)
    assert index.dependents(None) is dependents  # once per venv state and Python
