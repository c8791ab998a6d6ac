"""Diagnostics over a real LSP session: start-up, unsaved buffers, stale versions, pull mode, status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsp_session import ProjectMaker, frame, lsp_session, raw_exchange
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_every_manifest_is_diagnosed_at_start_up_without_being_opened(make_project: ProjectMaker,
                                                                             workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\nbeta\n", installed=("alpha==1.0",))
    other = make_project("other", requirements="gamma\n", venv=False)
    async with lsp_session(workspace) as session:
        diagnostics = await session.wait_codes(root / "requirements.txt", lambda codes: codes == ["VS201"])
        assert diagnostics[0].range.start.line == 1
        assert "beta" in diagnostics[0].message
        assert diagnostics[0].source == "venvsense"
        assert diagnostics[0].severity == types.DiagnosticSeverity.Error
        assert diagnostics[0].code_description is not None
        assert diagnostics[0].code_description.href.endswith("#vs201-not-installed")
        await session.wait_codes(other / "requirements.txt", lambda codes: codes == ["VS101"])


async def test_diagnostics_follow_the_unsaved_buffer(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == [])
        session.change(manifest, "alpha==1.0\nbeta>=1\n")
        diagnostics = await session.wait_codes(manifest, lambda codes: codes == ["VS201"])
        assert diagnostics[0].range == types.Range(types.Position(1, 0), types.Position(1, 7))
        session.change(manifest, "alpha==2.0\n")
        await session.wait_codes(manifest, lambda codes: codes == ["VS202"])
        assert manifest.read_text() == "alpha==1.0\n"  # the disk was never touched
        session.close(manifest)  # back to the text on disk
        await session.wait_codes(manifest, lambda codes: codes == [])


async def test_results_for_an_older_document_version_are_never_published(make_project: ProjectMaker,
                                                                         workspace: Path) -> None:
    root = make_project(requirements="pkg1\n")
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        uri = session.open(manifest)
        await session.wait_codes(manifest, lambda codes: codes == ["VS201"])
        for number in range(2, 40):  # faster than the server checks: most versions are superseded
            session.change(manifest, f"pkg{number}\n")
        await session.wait_for(lambda: any(p.uri == uri and p.version == 39 for p in session.published))
        mine = [p for p in session.published if p.uri == uri and p.version is not None]
        versions = [p.version for p in mine]
        assert versions == sorted(versions)
        for params in mine:  # every published result describes the text of the version it names
            assert [f"pkg{params.version}" in d.message for d in params.diagnostics] == [True]


async def test_findings_in_an_included_file_are_published_for_that_file(make_project: ProjectMaker,
                                                                        workspace: Path) -> None:
    root = make_project(requirements="-r base.txt\n", files={"base.txt": "alpha==1.0\nbeta\n"},
                        installed=("alpha==1.0",))
    async with lsp_session(workspace) as session:
        diagnostics = await session.wait_codes(root / "base.txt", lambda codes: codes == ["VS201"])
        assert diagnostics[0].range.start.line == 1


async def test_positions_are_converted_to_utf16(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0  # 😀 note\nbeta\n", installed=("alpha==1.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace) as session:
        session.open(manifest, "pkg==1 ; python_version > '1'  # x\n😀😀\n")
        session.change(manifest, "beta  # 😀\n")
        diagnostics = await session.wait_codes(manifest, lambda codes: codes == ["VS201"])
        assert diagnostics[0].range.end.character == 4


async def test_pull_diagnostics_when_the_client_supports_them(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\nbeta\n", installed=("alpha==1.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, pull=True) as session:
        report = await session.client.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        by_uri = {item.uri: item for item in report.items}
        assert [d.code for d in by_uri[manifest.as_uri()].items] == ["VS201"]
        uri = session.open(manifest)
        session.change(manifest, "alpha==1.0\nbeta\ngamma\n")
        result = await session.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        assert [d.code for d in result.items] == ["VS201", "VS201"]
        assert session.published == []  # a pull client is never pushed to


async def test_status_notification_and_request(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\nbeta\n", installed=("alpha==1.0",))
    async with lsp_session(workspace) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == ["VS201"])
        await session.wait_for(lambda: session.statuses and session.statuses[-1]["projects"][0]["state"] != "busy")
        status = await session.status()
        assert status == session.statuses[-1]
        (project,) = status["projects"]
        assert project["root"] == root.as_uri()
        assert project["state"] == "problems"
        assert project["counts"] == {"error": 1, "warning": 0, "information": 0, "hint": 0}
        assert project["environment"]["path"] == str(root / ".venv")
        assert project["environment"]["source"] == "in-project"
        assert "1 error" in project["summary"]
        assert session.statuses[0]["projects"][0]["state"] == "busy"


async def test_severity_settings_apply_at_once(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\nbeta\n", installed=("alpha==1.0",))
    manifest = root / "requirements.txt"
    async with lsp_session(workspace, settings={"severity": {"VS201": "hint"}}) as session:
        diagnostics = await session.wait_codes(manifest, lambda codes: codes == ["VS201"])
        assert diagnostics[0].severity == types.DiagnosticSeverity.Hint
        session.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"venvsense": {"severity": {"not-installed": "off"}}}))
        await session.wait_codes(manifest, lambda codes: codes == [])


async def test_a_bad_setting_is_reported_and_ignored(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="beta\n")
    async with lsp_session(workspace, settings={"severity": {"VS999": "error"}, "installer": "conda"}) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == ["VS201"])
        await session.wait_for(lambda: len(session.client.messages) >= 2)
        texts = " ".join(m.message for m in session.client.messages)
        assert "VS999" in texts and "conda" in texts


async def _raw_exchange(messages: list[dict[str, Any]],
                        until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """Send ``messages`` to a fresh ``venvsense serve`` exactly as written and collect what it sends until
    ``until(received)`` holds."""
    return await raw_exchange(b"".join(frame(message) for message in messages), until)


def _responses(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message for message in received if "id" in message and "method" not in message]


async def test_get_status_answers_a_request_that_omits_params(make_project: ProjectMaker, workspace: Path) -> None:
    make_project(requirements="alpha\n", venv=False)
    initialize = {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {},
                  "workspaceFolders": [{"uri": workspace.as_uri(), "name": "ws"}]}
    answers = _responses(await _raw_exchange([
        {"id": 1, "method": "initialize", "params": initialize},
        {"method": "initialized", "params": {}},
        {"id": 2, "method": "venvsense/getStatus"},  # JSON-RPC: params may be omitted
        {"id": 3, "method": "venvsense/getStatus", "params": None},
    ], until=lambda received: len(_responses(received)) >= 3))
    by_id = {answer["id"]: answer for answer in answers}
    assert "error" not in by_id[2] and "error" not in by_id[3], answers
    assert isinstance(by_id[2]["result"]["projects"], list)
    assert by_id[2]["result"].keys() == by_id[3]["result"].keys()


async def test_a_client_that_never_answers_for_its_folders_settings_still_gets_diagnostics(
        make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha\n", venv=False)
    uri = (root / "requirements.txt").as_uri()
    initialize = {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {"workspace": {
        "configuration": True}}, "workspaceFolders": [{"uri": workspace.as_uri(), "name": "ws"}]}

    def diagnosed(received: list[dict[str, Any]]) -> bool:
        return any(m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
                   for m in received)

    received = await _raw_exchange([
        {"id": 1, "method": "initialize", "params": initialize},
        {"method": "initialized", "params": {}},
    ], until=diagnosed)
    asked = [m for m in received if m.get("method") == "workspace/configuration"]
    assert asked and asked[0]["params"]["items"][0]["scopeUri"] == workspace.as_uri()  # asked, never answered
    [published] = [m for m in received if m.get("method") == "textDocument/publishDiagnostics"
                   and m["params"]["uri"] == uri]
    assert [d["code"] for d in published["params"]["diagnostics"]] == ["VS101"]


async def test_a_set_that_is_not_installed_is_one_diagnostic_per_file(make_project: ProjectMaker,
                                                                      workspace: Path) -> None:
    """Issue "Trusted on real projects", noise: the imports of a test group that is not installed are one problem
    per file in the editor (where the first of them stands, naming every module), not one per import; a file
    with one such import keeps its own finding, and other findings stand as they are."""
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",), files={
        "requirements-dev.txt": "pytest\nhypothesis\n",
        "tests/test_a.py": "import pytest\nfrom hypothesis import given\nimport alpha\n\n\n"
                           "def test_x():\n    from pytest import raises\n    import missing_mod\n",
        "tests/test_b.py": "import pytest\n",
    })
    test_a, test_b = root / "tests" / "test_a.py", root / "tests" / "test_b.py"
    async with lsp_session(workspace) as session:
        diagnostics = await session.wait_codes(test_a, lambda codes: codes == ["VS301", "VS301"])
        grouped = next(d for d in diagnostics if "not installed: " in d.message)
        assert grouped.range.start.line == 0
        assert grouped.message == ("requirements-dev.txt is not installed: hypothesis, pytest are imported here "
                                   "(lines 1, 2, 7)")
        other = next(d for d in diagnostics if d is not grouped)
        assert other.range.start.line == 7 and "missing_mod" in other.message
        (single,) = await session.wait_codes(test_b, lambda codes: codes == ["VS301"])
        assert "'pytest'" in single.message and "requirements-dev.txt" in single.message
