"""A project's first check shows the opened module's findings first, from that buffer, the model and the
listing (``lsp/early.py``), then the full check's; the first publication is always part of the final one."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types

from venvsense.check import check_project
from venvsense.config import Settings
from venvsense.findings import Finding, one_per_problem
from venvsense.lsp.early import early_candidates, early_findings
from venvsense.model import find_projects, read_model

MAIN = """\
import os
import alpha
import beta
import epsilon
import zeta
import optmod
from app import other
"""

FILES = {
    "app/__init__.py": "",
    "app/main.py": MAIN,
    # optional here: every import of optmod is only a hint, which only the whole project's scan can tell
    "app/other.py": "try:\n    import optmod\nexcept ImportError:\n    optmod = None\nimport beta\n",
    "app/util.py": "import alpha\nimport epsilon_mod  # a module nothing provides\n",
    "tests/__init__.py": "",
    "tests/conftest.py": "import sys\nsys.path.insert(0, 'tests/fixtures')\n",
    "tests/test_main.py": "import pytest\nimport alpha\nfrom app import main\n",
    "tests/test_writes.py": "def test_it(tmp_path):\n    (tmp_path / 'written.py').write_text('')\n"
                            "    import written\n",
}
REQUIREMENTS = "alpha==1.0\ngamma==1.0\nepsilon==1.0\n"  # epsilon is not installed; beta comes with gamma


def shown(diagnostics: list[types.Diagnostic]) -> set[tuple[object, ...]]:
    return {(d.code, d.range.start.line, d.range.start.character, d.message, d.severity) for d in diagnostics}


@pytest.mark.asyncio(loop_scope="function")
async def test_the_opened_module_shows_its_own_findings_first_and_the_full_check_keeps_them(
        make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements=REQUIREMENTS, installed=("alpha==1.0", "gamma==1.0"), files=FILES)
    main = root / "app" / "main.py"
    async with lsp_session(workspace) as session:
        # opened as the session starts (an editor restoring its tabs): the server reads this before the answer
        # to its workspace/configuration request, so its discovery, and the project's first check, follow it
        uri = session.open(main)
        await session.wait_for(lambda: any(p.uri == uri for p in session.published))
        # asked as soon as the first diagnostics show: their fixes come once the project's first check is done
        actions = await session.code_actions(main, 2)
        assert [a.title for a in actions if a.title.startswith("Add")] == ["Add beta to requirements.txt"]
        final = await session.wait_codes(main, lambda codes: codes.count("VS301") == 3, timeout=60)
        published = [p.diagnostics for p in session.published if p.uri == uri]
        first, last = shown(published[0]), shown(published[-1])
        assert first <= last
        assert last == shown(final)
        messages = [message for _, _, _, message, _ in first]
        # what the buffer, the declarations and the venv decide: shown at once
        assert any("'beta' is imported but not declared" in m for m in messages)
        assert any("'epsilon' is imported but not installed" in m and "declared as epsilon==1.0" in m
                   for m in messages), (first, last)
        # what needs the whole project (zeta: nothing declares it; optmod: optional elsewhere) waits for it
        assert not any("zeta" in m or "optmod" in m for m in messages)
        assert any("zeta" in d.message for d in final)
        optmod = [d for d in final if "optmod" in d.message]
        assert [d.severity for d in optmod] == [types.DiagnosticSeverity.Hint]


def _final_by_file(root: Path) -> tuple[dict[Path, list[Finding]], list[Path]]:
    project = find_projects(root, ())[0]
    report = check_project(project, Settings(workspace=(root.parent,)))
    assert report.usage is not None
    by_file: dict[Path, list[Finding]] = {}
    for finding in report.findings:
        by_file.setdefault(finding.file, []).append(finding)
    return by_file, sorted(report.usage.scanned)


def test_every_module_s_early_findings_are_part_of_the_full_check_s(make_project: ProjectMaker) -> None:
    root = make_project(requirements=REQUIREMENTS, installed=("alpha==1.0", "gamma==1.0"), files=FILES)
    final, modules = _final_by_file(root)
    project = find_projects(root, ())[0]
    settings = Settings(workspace=(root.parent,))
    answered = 0
    for path in modules:
        text = path.read_text("utf-8")
        early = early_findings(read_model(project, settings, overrides={path: text}),
                               early_candidates({path: text}, root))
        for finding in one_per_problem(early.get(path, [])):
            assert finding in one_per_problem(final.get(path, [])), (path, finding)
            answered += 1
    assert answered >= 3  # beta twice, epsilon


def test_no_early_findings_without_a_usable_venv(make_project: ProjectMaker) -> None:
    """Without a venv, "not declared" depends on every file (``rules.trust``): the full check says it all."""
    root = make_project(requirements=REQUIREMENTS, venv=False, files=FILES)
    project = find_projects(root, ())[0]
    main = root / "app" / "main.py"
    model = read_model(project, Settings(workspace=(root.parent,)))
    assert early_findings(model, early_candidates({main: MAIN}, root)) == {}


def test_scripts_and_files_read_for_more_are_left_to_the_full_check(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    buffers = {root / "setup.py": "import alpha\n", root / "conftest.py": "import alpha\n",
               root / "tool.py": "# /// script\n# dependencies = []\n# ///\nimport alpha\n",
               root / "data.ipynb": "{}", tmp_path / "other" / "x.py": "import alpha\n",
               root / "app.py": "import alpha\n"}
    assert list(early_candidates(buffers, root)) == [root / "app.py"]


def test_a_module_near_the_per_file_cap_is_left_to_the_full_check(make_project: ProjectMaker) -> None:
    many = "".join(f"import missing_{n}\n" for n in range(600))
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",),
                        files={"few.py": "import missing_1\nimport missing_2\n", "many.py": many})
    project = find_projects(root, ())[0]
    model = read_model(project, Settings(workspace=(root.parent,)))
    few, crowded = root / "few.py", root / "many.py"
    # nothing declares these modules: their VS301s wait for the whole project (none early, an empty answer)
    assert early_findings(model, early_candidates({few: few.read_text("utf-8")}, root)) == {few: []}
    assert early_findings(model, early_candidates({crowded: many}, root)) == {}


@pytest.mark.asyncio(loop_scope="function")
async def test_a_pull_client_gets_the_early_findings_then_the_full_check_s(make_project: ProjectMaker,
                                                                          workspace: Path) -> None:
    """A pull asked during the project's first check is answered once the opened module's early findings are
    shown (not after the whole check); the check's publication then refreshes the pull with everything."""
    padding = {f"app/pad{n}.py": "import os\nimport alpha\n" for n in range(400)}  # a first check that lasts
    root = make_project(requirements=REQUIREMENTS, installed=("alpha==1.0", "gamma==1.0"),
                        files={**FILES, **padding})
    main = root / "app" / "main.py"
    async with lsp_session(workspace, pull=True) as session:
        uri = session.open(main)
        params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        answers: list[set[tuple[object, ...]]] = []
        while not answers or not any("zeta" in message for _, _, _, message, _ in answers[-1]):
            answer = shown((await session.client.text_document_diagnostic_async(params)).items)
            if answer:
                answers.append(answer)
        first, last = answers[0], answers[-1]
        assert first <= last
        assert not any("zeta" in message or "optmod" in message for _, _, _, message, _ in first)
        assert any("'beta' is imported but not declared" in message for _, _, _, message, _ in first)
        assert session.published == []
