"""What a hover reads of an installed distribution's metadata (``environment.details``), on real installs: the
fields people see, the fields refused (non-web links, ``UNKNOWN``, a licence's whole text), folded headers, and
hostile metadata (far larger than the read cap, not a regular file) read without hanging or failing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.pep517_backend import metadata_text
from support.wheels import build_wheel, make_venv, pip_install, site_packages
from venvsense.environment import read_environment, read_installed
from venvsense.environment.details import DETAILS, MAX_FIELD, details
from venvsense.environment.metadata import READ_LIMIT


def install(tmp_path: Path, name: str, metadata: str) -> Path:
    house = tmp_path / "house"
    build_wheel(house, name, "1.0", metadata=metadata)
    venv = make_venv(tmp_path / "venv")
    pip_install(venv, name, find_links=house)
    return venv


def dist_of(venv: Path, name: str):  # type: ignore[no-untyped-def]
    DETAILS.clear()
    return read_installed(read_environment(venv, "configured")).distributions[name]


def headers(name: str, *lines: str) -> str:
    return metadata_text(name, "1.0").rstrip("\n") + "\n" + "\n".join(lines) + "\n\nThe long description.\n"


def test_the_fields_people_see_and_those_refused(tmp_path: Path) -> None:
    venv = install(tmp_path, "heron", headers(
        "heron",
        "Summary: Wades through",
        "        shallow water",  # a folded line continues the field
        "License: " + "Permission is hereby granted, free of charge, " * 5,
        "Classifier: License :: OSI Approved :: MIT License",
        "Home-page: UNKNOWN",
        "Project-URL: Source, https://code.example/heron",
        "Project-URL: Evil, javascript:alert(1)",
        "Project-URL: Tracker, https://code.example/heron/issues",
        "Download-URL: ftp://files.example/heron.tar.gz",
    ))
    found = details(dist_of(venv, "heron"))
    assert found.summary == "Wades through shallow water"
    assert found.license == "MIT License"  # the licence's whole text is not a name: the classifier is
    assert found.links == (("Source", "https://code.example/heron"), ("Tracker", "https://code.example/heron/issues"))
    assert found.editable_location is None


def test_a_license_expression_wins_and_long_fields_are_cut(tmp_path: Path) -> None:
    venv = install(tmp_path, "ibis", headers("ibis", "Summary: " + "x" * 1000, "License-Expression: MIT OR Apache-2.0",
                                              "License: MIT"))
    found = details(dist_of(venv, "ibis"))
    assert found.license == "MIT OR Apache-2.0"
    assert found.summary is not None and len(found.summary) == MAX_FIELD and found.summary.endswith("…")


def test_metadata_larger_than_the_cap_is_read_up_to_it(tmp_path: Path) -> None:
    venv = install(tmp_path, "kite", headers("kite", "Summary: Soars"))
    dist = dist_of(venv, "kite")
    metadata = dist.metadata_path / "METADATA"
    with open(metadata, "a", encoding="utf-8") as handle:
        handle.write("y" * (READ_LIMIT + 1024))
    DETAILS.clear()
    assert details(dist).summary == "Soars"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_metadata_that_is_not_a_regular_file_gives_nothing(tmp_path: Path) -> None:
    venv = install(tmp_path, "loon", headers("loon", "Summary: Dives"))
    dist = dist_of(venv, "loon")
    metadata = dist.metadata_path / "METADATA"
    metadata.unlink()
    os.symlink("/dev/zero", metadata)
    DETAILS.clear()
    found = details(dist)
    assert (found.summary, found.license, found.links) == (None, None, ())


def test_the_answer_is_read_again_after_a_reinstall(tmp_path: Path) -> None:
    venv = install(tmp_path, "moa", headers("moa", "Summary: Extinct"))
    dist = dist_of(venv, "moa")
    assert details(dist).summary == "Extinct"
    metadata = dist.metadata_path / "METADATA"
    metadata.write_text(headers("moa", "Summary: Back again"), encoding="utf-8")
    os.utime(metadata, ns=(metadata.stat().st_atime_ns, metadata.stat().st_mtime_ns + 10**9))
    assert details(dist).summary == "Back again"
    assert site_packages(venv) in dist.metadata_path.parents
