"""`./dev demo` tells the seed's story: both projects' pins and Pythons, Project A's venv active while working in
Project B (VIRTUAL_ENV), what venvsense says, `venvsense fix` making it right from the local stand-in wheels, and
the clean end. The real script, on a copy of examples/ (the repository's own example venvs are left alone)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from venvsense.actions.interpreters import choose_interpreter
from venvsense.actions.steps import ActionError

REPO = Path(__file__).resolve().parents[1]


def _has_python(version: str) -> bool:
    try:
        choose_interpreter(python_version_file=[version])
    except ActionError:
        return False
    return True


def test_the_demo_narrates_the_mistake_the_fix_and_the_clean_end(tmp_path):
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns(".venv", "wheelhouse", "__pycache__"))
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")}
    environ.update({"VENVSENSE_DEMO_EXAMPLES": str(examples), "VENVSENSE_CACHE_DIR": ""})
    result = subprocess.run([str(REPO / "dev"), "demo"], cwd=REPO, env=environ, capture_output=True, text=True,
                            check=False, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    text = " ".join(out.split())  # the narration is wrapped: compare it word by word

    # the two projects, what each pins and which Python each wants
    assert "Project A (examples/project-a) wants Python 3.11 and pins boto3==1.34.28, requests==2.32.3, " \
           "pandas==2.2.3." in text
    assert "Project B (examples/project-b) wants Python 3.12 and pins boto3==1.28.3, requests==2.7.1, " \
           "pandas==1.5.3, PyYAML==6.0.2." in text
    # Project A is healthy, and the check says so
    step_a = out[out.index("$ venvsense check examples/project-a"):out.index("2. The mistake")]
    assert "examples/project-a (venv: examples/project-a/.venv, Python" in step_a
    built_a = (examples / "project-a" / ".venv" / "pyvenv.cfg").read_text()
    if re.search(r"^version(_info)? = 3\.11\.", built_a, re.MULTILINE):
        assert "\n  ok       no problems found\n\nno problems in 1 project\n" in step_a
    else:  # no Python 3.11 here to build it with: the check says so
        assert "VS103 .venv was built with Python" in step_a

    # the mistake as people make it, and what venvsense says about it
    mistake = out[out.index("$ VIRTUAL_ENV=$PWD/examples/project-a/.venv venvsense check examples/project-b"):
                  out.index("3. venvsense fix")]
    assert "VS102 VIRTUAL_ENV points at examples/project-a/.venv, which belongs to another project" in mistake
    assert "VS201 boto3==1.28.3 is declared but not installed in .venv" in mistake
    assert "VS202 pandas==1.5.3 is declared but 2.2.3 is installed in .venv" in mistake
    assert str(tmp_path) not in mistake  # every path relative to where the demo runs
    assert "run 'venvsense fix examples/project-b'" in mistake

    # the fix, offline from the stand-in wheels
    assert "$ venvsense fix examples/project-b --find-links examples/wheelhouse --no-index" in out
    if not _has_python("3.12"):
        assert "This machine has no Python 3.12" in text
        return
    assert "Recreated .venv with Python 3.12." in out
    end = out[out.index("4. The clean result"):]
    assert "$ venvsense check examples/project-b\nexamples/project-b (venv: examples/project-b/.venv, Python 3.12." \
        in end
    assert "\nno problems in 1 project\n" in end and "That is the whole story." in end
    pyvenv = (examples / "project-b" / ".venv" / "pyvenv.cfg").read_text()
    assert re.search(r"^version(_info)? = 3\.12\.", pyvenv, re.MULTILINE)
