"""The finding catalogue is the one source of truth: the contract's codes and docs/codes.md agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from venvsense.findings import CATALOGUE, Severity, lookup

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "docs" / "contract.md"
TABLE_ROW = re.compile(r"^\| (VS\d{3}) \| ([a-z-]+) \| ([a-z]+) \|", re.MULTILINE)


def test_the_contract_lists_every_catalogue_code_with_its_name_and_severity():
    rows = TABLE_ROW.findall(CONTRACT.read_text(encoding="utf-8"))
    assert {code: (name, severity) for code, name, severity in rows} == {
        c.code: (c.name, c.severity.label) for c in CATALOGUE.values()
    }


def test_docs_table_matches_the_catalogue():
    rows = TABLE_ROW.findall((REPO / "docs" / "codes.md").read_text(encoding="utf-8"))
    assert {code: (name, severity) for code, name, severity in rows} == {
        c.code: (c.name, c.severity.label) for c in CATALOGUE.values()
    }


def test_docs_have_a_section_per_code_at_the_catalogue_anchor():
    text = (REPO / "docs" / "codes.md").read_text(encoding="utf-8")
    for code in CATALOGUE.values():
        assert f"\n## {code.code} {code.name}\n" in text
        assert code.anchor.endswith(f"#{code.code.lower()}-{code.name}")


def test_codes_are_found_by_code_or_name():
    assert lookup("vs201") is lookup("not-installed") is CATALOGUE["VS201"]


def test_severity_parsing_and_lowering():
    assert Severity.parse("info") is Severity.INFORMATION
    assert Severity.parse(" Off ") is Severity.OFF
    assert Severity.WARNING.lowered() is Severity.INFORMATION
    assert Severity.HINT.lowered() is Severity.HINT
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("loud")
