"""VS304 and a 50,000-part import in a real editor session (raw LSP over stdio): the diagnostic on package code
with its fix, none on a test file; a hover on the deep import answered while the project is checked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lsp_session import ProjectMaker, lsp_session
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_dev_only_import_in_package_code_is_a_warning_with_a_fix(make_project: ProjectMaker,
                                                                       workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0", "delta"), files={
        "requirements-dev.txt": "delta\n",
        "pkg/__init__.py": "import alpha\nimport delta_mod\n",
        "tests/test_pkg.py": "import delta_mod\n",
    })
    module, test = root / "pkg" / "__init__.py", root / "tests" / "test_pkg.py"
    async with lsp_session(workspace) as session:
        session.open(module)
        session.open(test)
        (diagnostic,) = await session.wait_codes(module, lambda codes: codes == ["VS304"])
        assert diagnostic.severity == types.DiagnosticSeverity.Warning
        assert diagnostic.range.start.line == 1
        assert "declared only for development (requirements-dev.txt)" in diagnostic.message
        await session.wait_codes(test, lambda codes: codes == [])
        actions = await session.code_actions(module, 1)
        assert [a.title for a in actions if a.title.startswith("Add ")] == ["Add delta to requirements.txt"]


async def test_a_hover_on_an_import_of_50000_parts_is_answered(make_project: ProjectMaker, workspace: Path) -> None:
    deep = ".".join(["a"] * 50_000)
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",),
                        files={"app.py": f"import alpha\nimport {deep}\n"})
    module = root / "app.py"
    async with lsp_session(workspace) as session:
        session.open(module)
        await session.wait_codes(module, lambda codes: codes == ["VS301"], timeout=60)
        started = time.monotonic()
        hover = await session.hover(module, 1, 50_000)
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "not provided by any installed distribution" in hover.contents.value
        assert time.monotonic() - started < 10  # 18 s before (generous: a loaded machine)
