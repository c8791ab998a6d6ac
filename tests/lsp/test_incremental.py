"""Incremental checking: an edit to a manifest buffer reuses the project's import scan (no module is read or
classified again), yet gives the findings a full check gives; stale results are still never published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types

import venvsense.check as analysis
from venvsense.check import check_project, recheck_manifests
from venvsense.model import project_at

NO_ENV: dict[str, str] = {}


def _counting_scans(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = analysis.scan_project

    def counted(root: Path, **kwargs: Any) -> Any:
        calls.append(root)
        return real(root, **kwargs)

    monkeypatch.setattr(analysis, "scan_project", counted)
    return calls


def test_a_manifest_edit_reuses_the_import_scan(make_project: ProjectMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0", "beta==1.0"),
                        files={"app.py": "import alpha\nimport beta\nimport missing_mod\n"})
    project = project_at(root)
    calls = _counting_scans(monkeypatch)
    first = check_project(project, environ=NO_ENV)
    assert len(calls) == 1
    assert sorted(f.code for f in first.findings) == ["VS301", "VS302"]
    manifest = root / "requirements.txt"
    for text in ("alpha==1.0\nbeta\n", "alpha==2.0\nbeta\ngamma\n", "alpha==1.0\n"):
        again = recheck_manifests(first, project, environ=NO_ENV, overrides={manifest: text})
        assert len(calls) == 1, "a manifest edit must not scan the modules again"
        assert again.usage is first.usage
        full = check_project(project, environ=NO_ENV, overrides={manifest: text})
        calls.pop()
        assert again.findings == full.findings
        assert [f.severity for f in again.findings] == [f.severity for f in full.findings]
        first = again


def test_the_scan_is_not_reused_when_what_it_depends_on_changed(make_project: ProjectMaker,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(requirements=None, venv=False, files={
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n',
        "app.py": "import tomllib\n",
    })
    project = project_at(root)
    calls = _counting_scans(monkeypatch)
    first = check_project(project, environ=NO_ENV)
    pyproject = root / "pyproject.toml"
    # a [tool.venvsense] setting the scan depends on: scanned again
    changed = pyproject.read_text() + '[tool.venvsense]\nknown-first-party = ["tomllib"]\n'
    again = recheck_manifests(first, project, environ=NO_ENV, overrides={pyproject: changed})
    assert len(calls) == 2
    assert again.findings == check_project(project, environ=NO_ENV, overrides={pyproject: changed}).findings
    # imports switched off: no import findings at all
    off = pyproject.read_text() + "[tool.venvsense]\ncheck-imports = false\n"
    quiet = recheck_manifests(first, project, environ=NO_ENV, overrides={pyproject: off})
    assert quiet.findings == check_project(project, environ=NO_ENV, overrides={pyproject: off}).findings


@pytest.mark.asyncio(loop_scope="function")
async def test_the_server_rechecks_manifest_edits_without_reading_modules(make_project: ProjectMaker,
                                                                          workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0", "beta==1.0"),
                        files={"app.py": "import alpha\nimport beta\n"})
    manifest, module = root / "requirements.txt", root / "app.py"
    async with lsp_session(workspace) as session:
        await session.wait_codes(module, lambda codes: codes == ["VS302"])
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == [])
        # the module changes on disk with no event the server hears of (no watcher, same folder listing):
        # a manifest edit must not read it again — the previous scan is reused
        module.write_text("import alpha\n\n\nimport beta\n")
        version = session.change(manifest, "alpha==1.0\nbeta==1.0\n")
        await session.wait_for(lambda: any(p.uri == manifest.as_uri() and p.version == version
                                           for p in session.published))
        await session.wait_codes(module, lambda codes: codes == [])
        session.change(manifest, "alpha==1.0\n")
        diagnostics = await session.wait_codes(module, lambda codes: codes == ["VS302"])
        assert diagnostics[0].range.start.line == 1  # where beta was when the modules were last scanned
        # a module buffer edit does scan again
        session.open(module)
        await session.wait_for(lambda: [d.range.start.line for d in session.diagnostics(module)] == [3],
                               what="the module scanned again once its buffer is open")


@pytest.mark.asyncio(loop_scope="function")
async def test_a_module_edit_that_keeps_its_imports_keeps_every_finding(make_project: ProjectMaker,
                                                                        workspace: Path) -> None:
    """The keystroke path: typing in a module's body (its imports read exactly as before) re-publishes the last
    findings for the new version without checking the project again; an edit that changes an import — its
    place, its gate, the module — is checked in full."""
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",), files={
        "app.py": "import alpha\nimport missing_mod\n\n\ndef f():\n    return 1\n",
        "other.py": "import alpha\n",
    })
    app, other = root / "app.py", root / "other.py"
    async with lsp_session(workspace) as session:
        session.open(app)
        await session.wait_codes(app, lambda codes: codes == ["VS301"])
        # another module changes on disk with no event the server hears of: only a project check would see it
        other.write_text("import alpha\nimport gamma_missing\n")
        for body in ("    return 2\n", "    value = 3\n    return value\n"):
            version = session.change(app, "import alpha\nimport missing_mod\n\n\ndef f():\n" + body)
            await session.wait_for(lambda version=version: any(p.uri == app.as_uri() and p.version == version
                                                               for p in session.published))
            assert session.codes(app) == ["VS301"]
            assert session.diagnostics(app)[0].range.start.line == 1
            assert session.codes(other) == [], "a body edit must not check the project again"
        # the import moves down a line: checked in full (and the disk change of other.py is seen with it)
        session.change(app, "import alpha\n\nimport missing_mod\n\n\ndef f():\n    return 1\n")
        await session.wait_for(lambda: [d.range.start.line for d in session.diagnostics(app)] == [2],
                               what="the moved import's finding on its new line")
        await session.wait_codes(other, lambda codes: codes == ["VS301"])
        # the same import, now guarded: a different gate, a different severity
        session.change(app, "import alpha\n\ntry:\n    import missing_mod\nexcept ImportError:\n    pass\n")
        await session.wait_for(lambda: [(d.range.start.line, d.severity) for d in session.diagnostics(app)]
                               and session.diagnostics(app)[0].range.start.line == 3
                               and session.diagnostics(app)[0].severity != types.DiagnosticSeverity.Error,
                               what="the guarded import's finding, not an error")
