"""An index option set by a project's requirements file needs the person's consent in the editor before the first
install that uses it (issue 12, item 2): ``venvsense/confirmIndex`` (answered by the VS Code extension with a modal
dialog), else ``window/showMessageRequest``. A real session, a real install from a local folder the file names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsp_session import ProjectMaker, lsp_session, plain
from lsprotocol import types

from support.wheels import site_packages

pytestmark = pytest.mark.asyncio(loop_scope="function")


def installed_names(venv: Path) -> set[str]:
    return {p.name.split("-")[0].lower() for p in site_packages(venv).glob("*.dist-info")}


async def test_an_index_set_by_a_requirements_file_is_installed_from_only_after_consent(
        make_project: ProjectMaker, workspace: Path, wheels: Path) -> None:
    root = make_project(requirements=f"--find-links {wheels}\nalpha==1.0\n", venv=False)
    manifest = root / "requirements.txt"
    asked: list[str] = []
    confirmations: list[dict[str, Any]] = []
    async with lsp_session(workspace) as session:  # no wheelhouse in the server's environment: only the file's
        client = session.client

        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def message_request(ls: Any, params: types.ShowMessageRequestParams) -> types.MessageActionItem:
            asked.append(params.message)
            return types.MessageActionItem(title="Cancel")

        await session.wait_codes(manifest, lambda codes: "VS101" in codes)
        command = types.Command(title="Create .venv here", command="venvsense.createEnvironment",
                                arguments=[{"project": root.as_uri()}])
        # a client without venvsense/confirmIndex is asked with the standard request; "Cancel" is a no
        declined = await session.execute(command)
        assert declined["status"] == "declined", declined
        assert len(asked) == 1 and f"--find-links {wheels}" in asked[0] and "requirements.txt line 1" in asked[0]
        assert not (root / ".venv").exists() and not (root / ".venv.venvsense-new").exists()

        @client.feature("venvsense/confirmIndex")
        def confirm(ls: Any, params: Any) -> dict[str, bool]:
            confirmations.append(plain(params))
            return {"allow": True}

        accepted = await session.execute(command)
        assert accepted["status"] == "ok", accepted
        assert len(confirmations) == 1 and len(asked) == 1
        assert "alpha" in installed_names(root / ".venv")
        listed = confirmations[0]["settings"]
        assert listed[0]["option"] == "--find-links" and listed[0]["value"] == str(wheels)

        # asked once per session: recreating installs from the same place without asking again
        recreate = types.Command(title="Recreate", command="venvsense.recreateEnvironment",
                                 arguments=[{"project": root.as_uri()}])
        again = await session.execute(recreate)
        assert again["status"] == "ok", again
        assert len(confirmations) == 1 and len(asked) == 1
