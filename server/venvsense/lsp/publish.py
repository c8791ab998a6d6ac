"""Publishing: each project's findings by file, sent as pushed diagnostics (with the pre-built JSON fast path) or
kept for the client's pulls, and the ``venvsense/status`` notification."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lsprotocol import types

from venvsense.check import ProjectReport
from venvsense.findings import Finding, one_per_problem
from venvsense.imports.notebook import NOTEBOOK_SUFFIX
from venvsense.lsp import convert
from venvsense.lsp.client import Client
from venvsense.lsp.notebooks import NotebookView
from venvsense.lsp.session import ProjectState, Session, Snapshot
from venvsense.lsp.status import STATUS_NOTIFICATION, project_status


class Publisher:
    """What the client was told: findings by project and file, the diagnostics JSON sent last, the status."""

    def __init__(self, session: Session, client: Client) -> None:
        self.session = session
        self.client = client
        # project root → file → its findings there (a file included by two projects shows both sets);
        # converted to diagnostics only when sent, so no second copy of a big project's findings is kept
        self.findings: dict[Path, dict[Path, tuple[Finding, ...]]] = {}
        self.reported: set[Path] = set()  # every file diagnostics were ever published for (workspace pulls)
        self.diagnostic_texts: dict[Path, dict[tuple[object, ...], str]] = {}  # file → finding → diagnostic JSON
        self.publish_count = 0
        # project root → open notebook → cell URI → the findings shown on that cell (ranges in the cell's lines),
        # and the view of each notebook they were placed with (code actions map a cell's range back with it)
        self.cells: dict[Path, dict[Path, dict[str, tuple[Finding, ...]]]] = {}
        self.notebook_views: dict[Path, NotebookView] = {}
        self.last_status: list[dict[str, Any]] | None = None
        self._refresh_pending = False

    # --- diagnostics -------------------------------------------------------------------------------------

    def publish(self, state: ProjectState, report: ProjectReport, snapshot: Snapshot) -> None:
        root = state.root
        # never a document outside the workspace folders and the opened projects (an include of /etc/shadow): the
        # check already folded what was found there onto the including line
        publishable = self.session.publishable
        by_file: dict[Path, list[Finding]] = {path: [] for path in report.files if publishable(path)}
        in_notebooks: dict[Path, list[Finding]] = {}
        for finding in report.findings:
            # a notebook's lines are those of its code cells joined: its findings go to its cells when it is open
            # (notebook document sync), and nowhere when it is not (no editor shows that file's lines)
            if finding.file.suffix == NOTEBOOK_SUFFIX:
                in_notebooks.setdefault(finding.file, []).append(finding)
                continue
            if finding.file in by_file or publishable(finding.file):
                by_file.setdefault(finding.file, []).append(finding)
        self.publish_cells(root, report, snapshot, in_notebooks)
        before = self.findings.get(root, {})
        now = {path: tuple(findings) for path, findings in by_file.items()}
        pull = self.session.pull
        # pushed diagnostics answer every buffer the check read anyway: those need no comparison (the edited
        # requirements file of each keystroke, hundreds of findings)
        answered = () if pull else snapshot.versions
        changed = {path for path, items in now.items() if path not in answered and before.get(path) != items}
        changed.update(path for path in before if path not in now)
        self.findings[root] = now
        self.reported.update(now)
        if pull:
            if changed:
                self.refresh_pull_diagnostics()
            return
        # every buffer the check read gets an answer for its version, even when nothing changed
        for path in sorted(changed | set(snapshot.versions)):
            self.send_diagnostics(path, snapshot)

    def publish_early(self, root: Path, found: dict[Path, list[Finding]], snapshot: Snapshot) -> None:
        """The findings of open modules known before the project's first check ends (``early.py``): shown now;
        that check's ``publish`` replaces them (it answers every open buffer anyway)."""
        by_file = self.findings.setdefault(root, {})
        for path, findings in sorted(found.items()):
            if not self.session.publishable(path):
                continue
            by_file[path] = tuple(findings)
            self.reported.add(path)
            if self.session.pull:
                self.refresh_pull_diagnostics()
            else:
                self.send_diagnostics(path, snapshot)

    def findings_for(self, path: Path) -> list[Finding]:
        """What the editor shows for ``path``: each problem once (the imports of a set that is not installed, one
        diagnostic where the first stands — ``findings.one_per_problem``)."""
        return one_per_problem([f for by_path in self.findings.values() for f in by_path.get(path, ())])

    def diagnostics_for(self, path: Path) -> list[types.Diagnostic]:
        """The diagnostics of ``path`` as protocol objects (answers to pulls)."""
        findings = self.findings_for(path)
        if not findings:
            return []
        converter = self.session.converter_for(path)
        return [convert.diagnostic(f, converter) for f in findings]

    def send_diagnostics(self, path: Path, snapshot: Snapshot | None = None) -> None:
        document = self.session.open_document(path)
        findings = self.findings_for(path)
        converter = self.session.converter_for(path, snapshot) if findings else None
        self.publish_count += 1
        uri = document.uri if document else convert.uri_of(path)
        version = document.version if document else None
        protocol = self.client.raw_protocol
        if protocol is None:
            self.client.notify_json(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, {
                "uri": uri,
                "diagnostics": [convert.diagnostic_json(f, converter) for f in findings] if converter else [],
                **({"version": version} if version is not None else {}),
            })
            return
        # the hot path of every keystroke: for an open document, each diagnostic's JSON text is kept from the
        # last publication and reused for an equal finding (a one-line edit changes one or two of hundreds);
        # a position needs no conversion on an ASCII line, so then the text does not depend on the buffer
        texts: list[str] = []
        if converter is not None:
            reusable = document is not None
            before = self.diagnostic_texts.get(path, {}) if reusable else {}
            kept: dict[tuple[object, ...], str] = {}
            for finding in findings:
                plain = reusable and converter.plain(finding.range)
                text = None
                if plain:
                    # what the JSON depends on, as plain values (a tuple of them hashes far faster than a Finding)
                    start, end = finding.range.start, finding.range.end
                    key = (finding.message, start.line, start.column, end.line, end.column, finding.code,
                           finding.severity, finding.package, finding.declaration_set)
                    text = before.get(key)
                if text is None:
                    text = json.dumps(convert.diagnostic_json(finding, converter))
                if plain:
                    kept[key] = text
                texts.append(text)
            if kept:
                self.diagnostic_texts[path] = kept
            else:
                self.diagnostic_texts.pop(path, None)
        else:
            self.diagnostic_texts.pop(path, None)
        tail = f', "version": {int(version)}' if version is not None else ""
        protocol.send_text(f'{{"jsonrpc": "2.0", "method": "{types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}", '
                           f'"params": {{"uri": {json.dumps(uri)}, "diagnostics": [{", ".join(texts)}]{tail}}}}}')

    # --- notebooks: diagnostics on each cell ------------------------------------------------------------

    def publish_cells(self, root: Path, report: ProjectReport, snapshot: Snapshot,
                      found: dict[Path, list[Finding]]) -> None:
        """Show the findings of the project's open notebooks on their cells: each finding on the cell it stands
        in, at its line there; a cell that no longer has any is cleared."""
        scanned = report.usage.scanned if report.usage is not None else {}
        before = self.cells.get(root, {})
        now: dict[Path, dict[str, tuple[Finding, ...]]] = {}
        for path, view in snapshot.notebooks.items():
            if path not in scanned and path not in before:
                continue  # another project's notebook (a nested project), or one no check reads
            by_cell: dict[str, list[Finding]] = {}
            for finding in found.get(path, ()):
                placed = view.place(finding)
                if placed is not None:
                    by_cell.setdefault(placed[0], []).append(placed[1])
            now[path] = {uri: tuple(one_per_problem(items)) for uri, items in by_cell.items()}
            self.notebook_views[path] = view
        for path in set(before) - set(now):
            now[path] = before[path]  # not open in this snapshot: what it showed stays until it is closed
        self.cells[root] = now
        changed = False
        for path, cells in now.items():
            was = before.get(path, {})
            for uri in sorted(set(cells) | set(was)):
                if cells.get(uri, ()) != was.get(uri, ()):
                    changed = True
                    if not self.session.pull:
                        self.send_cell(uri, cells.get(uri, ()), self.notebook_views.get(path))
        if changed and self.session.pull:
            self.refresh_pull_diagnostics()

    def send_cell(self, uri: str, findings: tuple[Finding, ...], view: NotebookView | None) -> None:
        """Publish the diagnostics of one notebook cell (its lines, its version)."""
        index = view.cell_index(uri) if view is not None else None
        version = view.cell_versions[index] if view is not None and index is not None else None
        lines = view.texts[index].splitlines() if view is not None and index is not None else None
        converter = convert.PositionConverter(self.session.workspace.position_codec, lines)
        self.publish_count += 1
        self.client.notify_json(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, {
            "uri": uri,
            "diagnostics": [convert.diagnostic_json(f, converter) for f in findings],
            **({"version": version} if version is not None else {}),
        })

    def cell_findings(self, uri: str) -> tuple[Path, tuple[Finding, ...]] | None:
        """The notebook holding the cell ``uri`` (as last published) and the findings shown on that cell."""
        for notebooks in self.cells.values():
            for path, cells in notebooks.items():
                view = self.notebook_views.get(path)
                if uri in cells or (view is not None and uri in view.cells):
                    return path, cells.get(uri, ())
        return None

    def cell_diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The diagnostics of a notebook cell (answers to pulls)."""
        found = self.cell_findings(uri)
        if found is None or not found[1]:
            return []
        view = self.notebook_views.get(found[0])
        index = view.cell_index(uri) if view is not None else None
        lines = view.texts[index].splitlines() if view is not None and index is not None else None
        converter = convert.PositionConverter(self.session.workspace.position_codec, lines)
        return [convert.diagnostic(f, converter) for f in found[1]]

    def forget_notebook(self, path: Path, cells: list[str]) -> None:
        """A notebook was closed: its cells show nothing from now on (the command line still reports the file)."""
        uris = set(cells)
        for notebooks in self.cells.values():
            uris.update(notebooks.pop(path, {}))
        self.notebook_views.pop(path, None)
        if self.session.pull:
            self.refresh_pull_diagnostics()
            return
        for uri in sorted(uris):
            self.send_cell(uri, (), None)

    def forget_document(self, path: Path) -> None:
        """A document was closed: its diagnostics' JSON no longer answers an editor buffer."""
        self.diagnostic_texts.pop(path, None)

    def forget_project(self, root: Path) -> None:
        """A project went away: clear what it published."""
        for path, cells in self.cells.pop(root, {}).items():
            self.forget_notebook(path, list(cells))
        for path in self.findings.pop(root, {}):
            if self.session.pull:
                self.refresh_pull_diagnostics()
            else:
                self.send_diagnostics(path)

    def refresh_pull_diagnostics(self) -> None:
        if self._refresh_pending or not self.client.supports("workspace.diagnostics.refresh_support"):
            return
        self._refresh_pending = True

        def send() -> None:
            self._refresh_pending = False
            self.client.refresh_workspace_diagnostics()

        asyncio.get_running_loop().call_soon(send)

    # --- status ------------------------------------------------------------------------------------------

    def status_payload(self) -> dict[str, Any]:
        return {"projects": [
            project_status(convert.uri_of(root), state.report if state.checked else None, state.busy,
                           trusted=self.session.settings.trusted)
            for root, state in sorted(self.session.projects.items())
        ]}

    def send_status(self) -> None:
        payload = self.status_payload()
        if payload["projects"] != self.last_status:
            self.last_status = payload["projects"]
            self.client.notify_json(STATUS_NOTIFICATION, payload)
