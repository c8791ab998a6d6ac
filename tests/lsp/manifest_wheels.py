"""A wheelhouse for the manifest features' tests (inlay hints, hovers, references, links, code lens): real wheels
whose METADATA carries a Summary, a license and Project-URLs, and a few that require each other (reverse
dependencies)."""

from __future__ import annotations

from pathlib import Path

from support.pep517_backend import metadata_text
from support.wheels import build_wheel

PANDA_SUMMARY = "Fast, flexible data frames for the bamboo forest"
PANDA_URLS = {"Homepage": "https://panda.example/", "Source": "https://code.example/panda",
              "Documentation": "https://docs.panda.example/en/stable/"}


def _metadata(name: str, version: str, *, summary: str | None = None, license_expression: str | None = None,
              urls: dict[str, str] | None = None, requires: tuple[str, ...] = (),
              extras: dict[str, list[str]] | None = None) -> str:
    head = metadata_text(name, version, requires, extras).rstrip("\n").splitlines()
    if summary:
        head.append(f"Summary: {summary}")
    if license_expression:
        head.append(f"License-Expression: {license_expression}")
    head += [f"Project-URL: {label}, {url}" for label, url in (urls or {}).items()]
    # a long description after the headers: never read into a hover
    return "\n".join(head) + "\n\n# panda\n\nLicense: not-a-header\n"


def build_manifest_wheels(house: Path) -> Path:
    """panda 1.5.3 and 2.2.3 (module ``panda``, full metadata); frog 1.0 (requires panda>=2); toad 1.0 (extra
    ``df`` requires panda); numbat 1.0 (module ``numbat_mod``); newt 3.0 (a plain one)."""
    for version in ("1.5.3", "2.2.3"):
        build_wheel(house, "panda", version, metadata=_metadata(
            "panda", version, summary=PANDA_SUMMARY, license_expression="BSD-3-Clause", urls=PANDA_URLS))
    build_wheel(house, "frog", "1.0", requires=["panda>=2"],
                metadata=_metadata("frog", "1.0", summary="Jumps", requires=("panda>=2",)))
    build_wheel(house, "toad", "1.0", metadata=_metadata("toad", "1.0", extras={"df": ["panda"]}))
    build_wheel(house, "numbat", "1.0", modules=["numbat_mod"])
    build_wheel(house, "newt", "3.0")
    return house
