"""Issue 11, patterns 16 and 6: distributions used by name, not by import, are no VS303 — Django settings,
database and broker URLs, paste deploy files, the project's own entry points, commands its tooling runs, tools
its config files configure, tzdata read by zoneinfo. Each on a small real project checked by the real CLI
against one real venv holding real wheels; a declaration that nothing names stays reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import findings, write
from support.wheels import build_wheel, pip_install

# distribution → its top-level modules (no console scripts: only the use by name keeps them from VS303)
LIBRARIES = {
    "django-cors-headers": ["corsheaders"], "django-redis": ["django_redis"], "django-storages": ["storages"],
    "psycopg2-binary": ["psycopg2"], "python-json-logger": ["pythonjsonlogger"], "pymysql": ["pymysql"],
    "mysqlclient": ["MySQLdb"], "tzdata": ["tzdata"], "myapp-lib": ["myapp_lib"], "filterlib": ["filterlib"],
    "pluglib": ["pluglib"], "cfgplug": ["cfgplug"], "setupplug": ["setupplug"], "breathe": ["breathe"],
    "pydata-sphinx-theme": ["pydata_sphinx_theme"], "redis": ["redis"], "sqlalchemy": ["sqlalchemy"],
    "django": ["django"], "beta": ["beta"], "boto3": ["boto3"], "mkautodoc": ["mkautodoc"],
    "mkdocs-material": ["material"], "pymdown-extensions": ["pymdownx"],
    "coverage-conditional-plugin": ["coverage_conditional_plugin"], "pywatchman": ["pywatchman"],
    "uvloop": ["uvloop"], "dotted.lib": ["dotted"],
    "whitenoise": ["whitenoise"],
}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, session_venv_factory: Callable[..., Path]) -> Path:
    house = tmp_path_factory.mktemp("byname-wheels")
    for name, modules in LIBRARIES.items():
        build_wheel(house, name, "1.0", modules=modules)
    made = session_venv_factory("byname")
    pip_install(made, *LIBRARIES, find_links=house, args=("--no-deps",))
    return made


def unused(root: Path, venv: Path) -> list[str]:
    return sorted(str(f["package"]) for f in findings(root, "--venv", str(venv)) if f["code"] == "VS303")


def requirements(*names: str) -> str:
    return "".join(f"{name}\n" for name in names)


def test_django_settings_name_apps_backends_and_the_database_driver(tmp_path: Path, venv: Path) -> None:
    settings = '''
INSTALLED_APPS = ["django.contrib.admin", "corsheaders"]
MIDDLEWARE = ["corsheaders.middleware.CorsMiddleware", "whitenoise.middleware.WhiteNoiseMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}}
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://localhost:6379/1"}}
STORAGES = {"default": {"BACKEND": "storages.backends.s3boto3.S3Boto3Storage"}}
LOGGING = {"formatters": {"json": {"()": "pythonjsonlogger.jsonlogger.JsonFormatter"}}}
'''
    root = write(tmp_path / "site", {
        "requirements.txt": requirements("django", "django-cors-headers", "django-redis", "django-storages",
                                         "boto3", "psycopg2-binary", "python-json-logger", "whitenoise", "redis",
                                         "beta"),
        "manage.py": "import django\n",
        "site/settings/__init__.py": "",
        "site/settings/base.py": settings,
        "site/views.py": "FORMAT = 'beta'\n",  # a bare string outside settings names nothing
    })
    assert unused(root, venv) == ["beta"]


def test_a_file_assigning_installed_apps_is_read_as_settings(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "app", {
        "requirements.txt": requirements("django", "django-cors-headers", "beta"),
        "runtests.py": "from django.conf import settings\nsettings.configure(INSTALLED_APPS=['corsheaders'])\n",
    })
    assert unused(root, venv) == ["beta"]


def test_database_urls_name_their_drivers(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "svc", {
        "requirements.txt": requirements("sqlalchemy", "pymysql", "psycopg2-binary", "mysqlclient", "redis", "beta"),
        "svc/db.py": "import sqlalchemy\nengine = sqlalchemy.create_engine('mysql+pymysql://u:p@h/db')\n",
        "alembic.ini": "[alembic]\nscript_location = migrations\nsqlalchemy.url = postgresql://u@h/db\n",
        ".env": "CACHE_URL=redis://localhost:6379/0\n",
    })
    assert unused(root, venv) == ["beta", "mysqlclient"]
    (root / ".env").write_text("DATABASE_URL=mysql://u@h/db\n")  # mysql's default driver is MySQLdb
    assert unused(root, venv) == ["beta", "redis"]


def test_paste_deploy_files_name_distributions_and_factories(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "web", {
        "requirements.txt": requirements("myapp-lib", "filterlib", "beta"),
        "deploy/production.ini": "[app:main]\nuse = egg:myapp-lib#main\n\n[filter:f]\n"
                                 "paste.filter_factory = filterlib.middleware:factory\n",
        "web/__init__.py": "",
    })
    assert unused(root, venv) == ["beta"]


def test_the_projects_own_entry_points_name_modules_of_declared_distributions(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "host", {
        "pyproject.toml": '[project]\nname = "host"\nversion = "1"\ndependencies = ["pluglib", "beta"]\n'
                          '[project.entry-points."host.plugins"]\nx = "pluglib.sub:Plugin"\n',
        "setup.cfg": "[options.entry_points]\nhost.more =\n    y = cfgplug.mod:thing\n"
                     "[options.extras_require]\ntest =\n    dotted.lib\n",  # what to install names no use
        "setup.py": "from setuptools import setup\nsetup(install_requires=['cfgplug', 'setupplug'],\n"
                    "      entry_points={'host.x': ['z = setupplug:z']})\n",
        "host/__init__.py": "",
    })
    assert unused(root, venv) == ["beta", "dotted-lib"]


def test_tools_run_by_the_projects_tooling_are_used(tmp_path: Path, venv: Path) -> None:
    tools = ["maketool", "toxtool", "noxtool", "wftool", "hooktool", "hookid-tool", "configured", "pdmtool",
             "modtool", "proctool"]
    root = write(tmp_path / "tooled", {
        "pyproject.toml": '[project]\nname = "tooled"\nversion = "1"\n[dependency-groups]\n'
                          f'dev = {[*tools, "beta"]!r}\n'.replace("'", '"')
                          + '[tool.configured]\nline-length = 100\n[tool.pdm.scripts]\nlint = "pdmtool check ."\n',
        "Makefile": "test:\n\t@maketool run --fast\n\tpython -m modtool x\n",
        "tox.ini": "[testenv]\ndeps = beta\ncommands =\n    toxtool {posargs}\n",
        "noxfile.py": "import nox\n@nox.session\ndef lint(session):\n    session.run('noxtool', '--check')\n",
        ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: |\n          uv run wftool\n",
        ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n  - id: x\n    entry: hooktool\n"
                                   "- repo: https://example.com/h\n  hooks:\n  - id: hookid-tool\n",
        "Procfile": "web: proctool serve\n",
        "tooled/__init__.py": "",
    })
    assert unused(root, venv) == ["beta"]


def test_what_the_standard_library_or_a_declared_library_loads_when_installed(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "tz", {"requirements.txt": requirements("tzdata", "pywatchman", "uvloop", "beta"),
                                   "app.py": "import os\n"})
    assert unused(root, venv) == ["beta", "pywatchman", "tzdata", "uvloop"]
    (root / "app.py").write_text("from zoneinfo import ZoneInfo\nimport django.conf\n")
    (root / "Procfile").write_text("web: uvicorn app:app\n")  # uvicorn runs with uvloop when it is there
    assert unused(root, venv) == ["beta"]


def test_sphinx_conf_names_extensions_and_themes(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "docs", {
        "requirements.txt": requirements("breathe", "pydata-sphinx-theme", "beta"),
        "docs/conf.py": "extensions = ['sphinx.ext.autodoc', 'breathe']\n"
                        "html_theme = 'pydata_sphinx_theme'\n",
    })
    assert unused(root, venv) == ["beta"]


def test_names_in_tool_tables_and_mkdocs_yml(tmp_path: Path, venv: Path) -> None:
    # hprec's FP-2 (flask: gha-update run by tox in pyproject, pre-commit-uv), FP-3 (httpx: mkautodoc),
    # FP-9 (uvicorn: coverage plugins)
    root = write(tmp_path / "lib", {
        "pyproject.toml": '[project]\nname = "lib"\nversion = "1"\n[dependency-groups]\n'
                          'dev = ["coverage-conditional-plugin", "gha-update", "pre-commit-uv", "poethepoet", "beta"]\n'
                          'docs = ["mkautodoc", "mkdocs-material", "pymdown-extensions"]\n'
                          '[tool.coverage.run]\nplugins = ["coverage_conditional_plugin"]\n'
                          '[tool.tox.env.update-actions]\ncommands = [["gha-update"]]\n'
                          '[tool.poe.tasks]\nlint = "echo"\n',
        "mkdocs.yml": "site_name: x\ntheme:\n  name: material\nmarkdown_extensions:\n  - mkautodoc\n"
                      "  - pymdownx.highlight:\n      anchor_linenums: true\nplugins:\n  - search\n",
        "lib/__init__.py": "",
    })
    assert unused(root, venv) == ["beta"]


def test_importing_a_backend_module_uses_the_client_it_loads(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "shop", {  # saleor: `from storages.backends.azure_storage import AzureStorage`
        "requirements.txt": requirements("django-storages", "boto3", "beta"),
        "shop/storage.py": "from storages.backends.s3boto3 import S3Boto3Storage\n",
    })
    assert unused(root, venv) == ["beta"]


def test_show_imports_says_where_each_distribution_is_used_by_name(tmp_path: Path, venv: Path) -> None:
    root = write(tmp_path / "site", {
        "requirements.txt": requirements("django", "django-cors-headers", "psycopg2-binary", "beta"),
        "site/settings.py": 'INSTALLED_APPS = ["corsheaders"]\n'
                            'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}\n',
    })
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ["VENVSENSE_CACHE_DIR"] = ""
    command = [sys.executable, "-m", "venvsense", "show", "imports", str(root), "--venv", str(venv)]
    result = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, env=environ, check=True)
    [document] = json.loads(result.stdout)["projects"]
    assert document["used_by_name"] == [
        {"distribution": "django", "file": "site/settings.py", "line": 2, "how": "a name in a string"},
        {"distribution": "django-cors-headers", "file": "site/settings.py", "line": 1, "how": "a name in a string"},
        {"distribution": "psycopg2-binary", "file": "site/settings.py", "line": 2,
         "how": "django.db.backends.postgresql loads it"},
    ]
    text = subprocess.run(command, capture_output=True, text=True, env=environ, check=True).stdout
    assert "site/settings.py:1: django-cors-headers used by name (a name in a string)\n" in text
