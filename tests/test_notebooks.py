"""Jupyter notebooks (issue "Every Python file has an environment", its first bullet; the 5 imports the precision
benchmark missed in seaborn's tutorial notebooks): code cells are scanned like modules, IPython syntax skipped,
cell boundaries kept; their imports are judged by VS301/VS302 and count as uses for VS303; the command line
says where as `nb.ipynb:cell N:line:column` and JSON gains `cell`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import findings
from support.wheels import build_wheel
from venvsense.imports import scan_source
from venvsense.imports.notebook import notebook_code


def notebook(*cells: tuple[str, str | list[str]]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "source": source, "metadata": {}} for kind, source in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


TOUR = notebook(
    ("markdown", ["# A tour\n", "import not_code\n"]),
    ("code", ["%matplotlib inline\n", "import numpy as np\n", "!pip install seaborn\n"]),
    ("code", "%%bash\nimport not_python\n"),
    ("code", ["from IPython.display import display\n", "import alpha\n", "x = np.ones(3)\n", "x?\n"]),
)


def test_code_cells_are_the_module_text_with_ipython_syntax_blanked() -> None:
    code = notebook_code(TOUR.encode())
    assert code.error is None
    assert [s.module for s in scan_source(code.text).imports] == ["numpy", "IPython.display", "alpha"]
    assert code.cells == (2, 3, 4)
    numpy_line = code.text.splitlines().index("import numpy as np")
    assert code.cell_of(numpy_line) == (2, 1)
    display_line = code.text.splitlines().index("from IPython.display import display")
    assert code.cell_of(display_line) == (4, 0)


def test_an_unclosed_bracket_in_one_cell_does_not_swallow_the_next_cells_imports() -> None:
    code = notebook_code(notebook(("code", "x = (1,\n"), ("code", "import numpy\n")).encode())
    assert "numpy" in [s.module for s in scan_source(code.text).imports]


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'{"cells": 3}', b"{" * 100_000])
def test_a_file_that_is_no_notebook_reads_as_no_code_with_a_reason(data: bytes) -> None:
    code = notebook_code(data)
    assert code.text == "" and code.error is not None and "not a notebook" in code.error


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("notebook-wheels")
    build_wheel(house, "alpha", "1.0")
    build_wheel(house, "beta", "1.0")
    return house



def test_a_notebooks_imports_are_judged_and_located_by_cell(project: Callable[..., Path]) -> None:
    root = project({
        "pyproject.toml": '[project]\nname = "proj"\nversion = "1"\ndependencies = ["alpha", "beta"]\n',
        "proj/__init__.py": "import beta\n",
        "doc/tour.ipynb": TOUR,
    }, installs=("alpha==1.0", "beta==1.0"))
    found = findings(root)
    notebook_findings = [(f["code"], f["file"], f.get("cell"), f["range"]["start"]["line"]) for f in found
                         if str(f["file"]).endswith(".ipynb")]
    # numpy (cell 2, line 2) and IPython (cell 4, line 1): not installed and not declared; seaborn (cell 2,
    # line 3) is installed by the notebook and not declared
    assert notebook_findings == [("VS301", "doc/tour.ipynb", 2, 2), ("VS305", "doc/tour.ipynb", 2, 3),
                                 ("VS301", "doc/tour.ipynb", 4, 1)]
    # alpha is imported only by the notebook: it is used
    assert not [f for f in found if f["code"] == "VS303"]
    concise = subprocess.run([sys.executable, "-m", "venvsense", "check", "--format", "concise", "."], cwd=root,
                             capture_output=True, text=True, check=False).stdout
    assert "doc/tour.ipynb:cell 2:2:8: VS301 'numpy'" in concise
    assert "doc/tour.ipynb:cell 4:1:6: VS301 'IPython.display'" in concise
    assert "not_code" not in concise and "not_python" not in concise
