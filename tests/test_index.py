"""The package index client against a real index on the loopback interface (``support.index.LocalIndex``): which
indexes a project uses, PEP 691 JSON and PEP 503 HTML pages, the on-disk cache with ETags (304), answers from
the cache when the index is gone, credentials that never reach a log or the cache, project lists, PEP 658
metadata. No network beyond 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
from packaging.version import Version

from support.index import LocalIndex
from venvsense.declarations.requirements import read_requirements
from venvsense.index import (
    PYPI,
    DiskCache,
    IndexService,
    IndexUrl,
    indexes_of,
    newest_cached,
    newest_compatible,
    project_indexes,
    redact,
)

NO_CONFIG = {"PIP_CONFIG_FILE": "/dev/null", "UV_NO_CONFIG": "1"}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> LocalIndex:
    local = LocalIndex(tmp_path_factory.mktemp("index"))
    local.add("alpha", "1.0", upload_time="2024-01-02T03:04:05Z")
    local.add("alpha", "2.0", extras={"socks": ["beta"], "fast": []}, upload_time="2025-02-03T00:00:00Z")
    local.add("alpha", "2.1rc1")
    local.add("alpha", "1.5", yanked=True)
    local.add("alpha", "3.0", requires_python=">=3.99")
    local.add("alphabet", "0.1")
    local.add("beta", "1.0")
    return local


def urls(found: tuple[IndexUrl, ...]) -> list[str]:
    return [i.url for i in found]


# --- which indexes ------------------------------------------------------------------------------------------


def test_requirement_files_name_the_primary_and_extra_indexes(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "-i https://first.example/simple\n--index-url https://mirror.example/simple/\n"
        "--extra-index-url https://extra.example/simple/\nalpha\n")
    manifest = read_requirements(tmp_path / "requirements.txt", primary=True)
    found = indexes_of([manifest], None, {"PIP_INDEX_URL": "https://env.example/simple/", **NO_CONFIG})
    assert urls(found) == ["https://mirror.example/simple/", "https://extra.example/simple/"]
    assert found[0].origin == "requirements.txt:2 --index-url"


def test_uv_indexes_in_pyproject_and_the_environment_in_order_of_precedence() -> None:
    pyproject = {"tool": {"uv": {"index": [
        {"name": "torch", "url": "https://torch.example/simple", "explicit": True},
        {"name": "corp", "url": "https://corp.example/simple/"},
        {"name": "main", "url": "https://main.example/simple/", "default": True}]}}}
    env = {"UV_INDEX_URL": "https://env.example/simple/", "PIP_EXTRA_INDEX_URL": "https://x.example/s/ bad",
           **NO_CONFIG}
    assert urls(project_indexes([], pyproject, env)) == [
        "https://main.example/simple/", "https://corp.example/simple/", "https://x.example/s/"]
    assert urls(project_indexes([], None, env)) == ["https://env.example/simple/", "https://x.example/s/"]
    assert urls(project_indexes([], None, {"UV_DEFAULT_INDEX": "https://d.example/simple",
                                          "UV_INDEX_URL": "https://old.example/simple", **NO_CONFIG})) == [
        "https://d.example/simple/"]
    assert urls(project_indexes([], None, NO_CONFIG)) == [PYPI]
    assert project_indexes([], None, {"PIP_NO_INDEX": "1", **NO_CONFIG}) == ()


def test_pip_and_uv_config_files_are_read_from_the_user_config_folder(tmp_path: Path) -> None:
    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "pip.conf").write_text(
        "[global]\nindex-url = https://pipconf.example/simple\nextra-index-url =\n  https://e1.example/simple/\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    assert urls(project_indexes([], None, env)) == ["https://pipconf.example/simple/", "https://e1.example/simple/"]
    (tmp_path / "uv").mkdir()
    (tmp_path / "uv" / "uv.toml").write_text('[[index]]\nurl = "https://uvtoml.example/simple"\ndefault = true\n')
    assert urls(project_indexes([], None, env))[0] == "https://uvtoml.example/simple/"
    assert urls(project_indexes([], None, {**env, "UV_NO_CONFIG": "1"}))[0] == "https://pipconf.example/simple/"


def test_an_index_that_is_a_folder_is_not_replaced_by_pypi(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "--index-url file:///srv/wheels/simple\n--extra-index-url https://extra.example/simple/\nalpha\n")
    manifest = read_requirements(tmp_path / "requirements.txt", primary=True)
    assert urls(indexes_of([manifest], None, NO_CONFIG)) == ["https://extra.example/simple/"]
    assert urls(project_indexes([], None, {"PIP_INDEX_URL": "/srv/wheels", **NO_CONFIG})) == []


def test_credentials_are_redacted_for_people() -> None:
    assert redact("https://user:s3cret@host.example/simple/") == "https://***@host.example/simple/"
    assert redact(PYPI) == PYPI


# --- fetching, the cache ------------------------------------------------------------------------------------


def test_json_pages_give_releases_newest_first_with_yanked_python_and_upload_times(index: LocalIndex,
                                                                                   tmp_path: Path) -> None:
    service = IndexService(DiskCache(tmp_path / "cache"))
    with index.serving() as url:
        indexes = (IndexUrl(url, "test"),)
        assert not service.versions(indexes, "alpha").known
        assert service.needs_refresh(indexes, "alpha")
        assert service.refresh_project(indexes, "Alpha") is True
    versions = service.versions(indexes, "ALPHA")
    assert versions.known
    assert [str(r.version) for r in versions.releases] == ["3.0", "2.1rc1", "2.0", "1.5", "1.0"]
    by_version = {str(r.version): r for r in versions.releases}
    assert by_version["1.5"].yanked and not by_version["2.0"].yanked
    assert by_version["2.0"].upload_time == "2025-02-03T00:00:00Z"
    assert not by_version["3.0"].supports("3.11.7") and by_version["2.0"].supports("3.11.7")
    newest = newest_compatible(versions.releases, "3.11.7")
    assert newest is not None and newest.version == Version("2.0")
    pre = newest_compatible(versions.releases, "3.11.7", prereleases=True)
    assert pre is not None and pre.version == Version("2.1rc1")
    assert newest_cached("alpha") == "3.0"  # the newest final release, whatever the Python
    assert not service.needs_refresh(indexes, "alpha")
    assert index.requests["/simple/alpha/"] >= 1


def test_html_pages_are_read_when_the_index_has_no_json(tmp_path: Path) -> None:
    local = LocalIndex(tmp_path / "index", html_only=True)
    local.add("gamma", "1.0", requires_python=">=3.8")
    local.add("gamma", "1.1", yanked=True)
    service = IndexService(DiskCache(tmp_path / "cache"))
    with local.serving() as url:
        indexes = (IndexUrl(url, "test"),)
        service.refresh_project(indexes, "gamma")
        service.refresh_names(indexes)
    releases = service.versions(indexes, "gamma").releases
    assert [(str(r.version), r.yanked) for r in releases] == [("1.1", True), ("1.0", False)]
    assert releases[1].files[0].requires_python == ">=3.8" and releases[1].files[0].metadata
    assert service.names(indexes, "gam") == ["gamma"]


def test_a_second_refresh_is_a_conditional_get_answered_304(index: LocalIndex, tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    service = IndexService(cache)
    with index.serving() as url:
        indexes = (IndexUrl(url, "test"),)
        service.refresh_project(indexes, "beta")
        first = cache.load(f"{url}beta/")
        assert first is not None and first.etag
        before = index.not_modified
        assert service.refresh_project(indexes, "beta") is False  # fresh: not asked again
        assert index.not_modified == before
        assert service.refresh_project(indexes, "beta", force=True) is False  # asked: 304, nothing new
        assert index.not_modified == before + 1
    again = cache.load(f"{url}beta/")
    assert again is not None and again.body == first.body and again.fetched >= first.fetched


def test_the_cache_answers_when_the_index_is_gone(index: LocalIndex, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    service = IndexService(DiskCache(tmp_path / "cache"), timeout=2)
    with index.serving() as url:
        indexes = (IndexUrl(url, "test"),)
        service.refresh_project(indexes, "beta")
    caplog.set_level(logging.INFO, logger="venvsense.index")
    assert service.refresh_project(indexes, "beta", force=True) is False
    assert service.errors and url.split("/")[2] in service.errors[-1]
    assert [str(r.version) for r in service.versions(indexes, "beta").releases] == ["1.0"]


def test_credentials_go_in_a_header_never_in_logs_or_the_cache(index: LocalIndex, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="venvsense.index")
    cache = DiskCache(tmp_path / "cache")
    service = IndexService(cache)
    with index.serving() as url:
        secret = url.replace("http://", "http://someone:t%40ken-s3cret@")
        indexes = (IndexUrl(secret, "test"),)
        index.authorization.clear()
        service.refresh_project(indexes, "alpha")
        service.refresh_project(indexes, "nothing-here", force=True)  # a 404: logged
    assert index.authorization[0] == "Basic " + base64.b64encode(b"someone:t@ken-s3cret").decode()
    assert service.versions(indexes, "alpha").known
    stored = "".join(p.read_text() for p in (tmp_path / "cache").iterdir())
    assert "s3cret" not in stored and "***@127.0.0.1" in stored
    assert service.errors and "s3cret" not in " ".join(service.errors) and "HTTP 404" in service.errors[-1]
    assert "s3cret" not in caplog.text


def test_project_lists_are_kept_sorted_and_searched_by_prefix(index: LocalIndex, tmp_path: Path) -> None:
    service = IndexService(DiskCache(tmp_path / "cache"))
    with index.serving() as url:
        indexes = (IndexUrl(url, "test"),)
        assert service.needs_refresh(indexes, None)
        assert service.refresh_names(indexes) is True
        assert not service.needs_refresh(indexes, None)
        before = index.not_modified
        assert service.refresh_names(indexes, force=True) is False  # the names file is there: a 304
        assert index.not_modified == before + 1
    entry = service.cache.load(url) if service.cache is not None else None
    assert entry is not None and entry.body == "" and entry.etag  # the list itself is kept only as names
    assert service.names(indexes, "al") == ["alpha", "alphabet"]
    assert service.names(indexes, "ALPHAB") == ["alphabet"]
    assert service.names(indexes, "") == ["alpha", "alphabet", "beta"]
    assert service.names(indexes, "zz") == []


def test_extras_come_from_the_pep_658_metadata_of_a_wheel(index: LocalIndex, tmp_path: Path) -> None:
    service = IndexService(DiskCache(tmp_path / "cache"))
    with index.serving() as url:
        indexes = (IndexUrl(url, "test"),)
        service.refresh_project(indexes, "alpha")
        release = next(r for r in service.versions(indexes, "alpha").releases if str(r.version) == "2.0")
        file = release.files[0]
        assert service.cached_extras(file) is None
        assert set(service.metadata_extras(file) or ()) == {"socks", "fast"}
        asked = index.requests[f"/files/{file.filename}.metadata"]
    assert set(service.cached_extras(file) or ()) == {"socks", "fast"}
    assert asked == 1


def test_broken_pages_are_read_as_far_as_they_go(tmp_path: Path) -> None:
    from venvsense.index.simple import parse_names, parse_project

    assert parse_project("{not json", "application/vnd.pypi.simple.v1+json", "http://x/") is None
    page = parse_project('{"files": [{"filename": "x-1.0-py3-none-any.whl", "url": 3}, 7, {"filename": "junk"}]}',
                         "application/json", "http://x/")
    assert page is not None and [str(r.version) for r in page.releases()] == ["1.0"]
    assert parse_names(json.dumps({"projects": [{"name": "Foo_Bar"}, {"nom": 1}, "x"]}), "application/json") == [
        "foo-bar"]
    html = parse_project("<a href='x-2.0.tar.gz'>x-2.0.tar.gz</a><a>", "text/html", "http://x/")
    assert html is not None and html.files[0].version == "2.0"
