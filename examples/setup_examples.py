"""Build the example projects' venvs offline, from small stand-in wheels made on the spot.

Project A's ``.venv`` holds exactly what it declares; Project B's ``.venv`` was built from Project A's
habits: with Project A's Python, boto3 and PyYAML missing, pandas 2.2.3 where 1.5.3 is pinned. The wheels carry
the real names, versions and dependency metadata (not the real code), so the demo runs in seconds without a
network; the wheelhouse also holds what Project B pins, for ``venvsense fix`` to install offline. Re-running
rebuilds both venvs from scratch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.wheels import build_wheel, find_pyenv_python, make_venv, pip_install  # noqa: E402

# Both venvs are built with Python 3.11: what Project A's .python-version asks for, and not the 3.12 Project B's
# asks for (the mismatch the demo shows) — a pyenv 3.11 when the running Python is another version.
EXAMPLE_PYTHON = "3.11"

WHEELS: list[tuple[str, str, list[str], list[str] | None]] = [
    ("boto3", "1.34.28", ["botocore<1.35.0,>=1.34.28", "jmespath<2.0.0,>=0.7.1"], None),
    ("botocore", "1.34.28", ["jmespath<2.0.0,>=0.7.1", "python-dateutil<3.0.0,>=2.1", "urllib3>=1.25.4"], None),
    ("boto3", "1.28.3", ["botocore<1.32.0,>=1.31.3", "jmespath<2.0.0,>=0.7.1"], None),
    ("botocore", "1.31.3", ["jmespath<2.0.0,>=0.7.1", "python-dateutil<3.0.0,>=2.1", "urllib3<1.27,>=1.25.4"],
     None),
    ("urllib3", "1.26.20", [], None),
    ("jmespath", "1.0.1", [], None),
    ("requests", "2.32.3", ["charset-normalizer<4,>=2", "idna<4,>=2.5", "urllib3<3,>=1.21.1",
                            "certifi>=2017.4.17"], None),
    ("requests", "2.7.1", [], None),
    ("charset-normalizer", "3.4.0", [], ["charset_normalizer"]),
    ("idna", "3.10", [], None),
    ("urllib3", "2.2.3", [], None),
    ("certifi", "2024.8.30", [], None),
    ("pandas", "2.2.3", ["numpy>=1.23.2", "python-dateutil>=2.8.2", "pytz>=2020.1", "tzdata>=2022.7"], None),
    ("numpy", "2.1.3", [], None),
    ("pandas", "1.5.3", ["numpy>=1.21.0", "python-dateutil>=2.8.1", "pytz>=2020.1"], None),
    ("PyYAML", "6.0.2", [], ["yaml"]),
    ("python-dateutil", "2.9.0.post0", ["six>=1.5"], ["dateutil"]),
    ("six", "1.16.0", [], ["six.py"]),
    ("pytz", "2024.2", [], None),
    ("tzdata", "2024.2", [], None),
]
ENVIRONMENTS = {
    "project-a": ["boto3==1.34.28", "requests==2.32.3", "pandas==2.2.3"],
    "project-b": ["requests==2.7.1", "pandas==2.2.3"],
}


def example_python() -> str:
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == EXAMPLE_PYTHON:
        return sys.executable
    found = find_pyenv_python(EXAMPLE_PYTHON)
    if found is None:
        print(f"examples: no Python {EXAMPLE_PYTHON} found (pyenv); building with {sys.version.split()[0]}")
        return sys.executable
    return str(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=HERE, help="the examples folder (default: this one)")
    examples = parser.parse_args().examples.resolve()
    wheelhouse = examples / "wheelhouse"
    shutil.rmtree(wheelhouse, ignore_errors=True)
    for name, version, requires, modules in WHEELS:
        build_wheel(wheelhouse, name, version, requires=requires, modules=modules)
    python = example_python()
    for project, packages in ENVIRONMENTS.items():
        venv = examples / project / ".venv"
        shutil.rmtree(venv, ignore_errors=True)
        make_venv(venv, python)
        pip_install(venv, *packages, find_links=wheelhouse)
        print(f"examples: {project}/.venv ready ({', '.join(packages)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
