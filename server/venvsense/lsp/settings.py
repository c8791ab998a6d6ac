"""Editor settings: what a client sends in ``initializationOptions`` and ``workspace/didChangeConfiguration``.

Settings arrive either flat (``{"venv": ".venv", ...}``) or under a ``venvsense`` section
(``{"venvsense": {...}}``); keys may be camelCase (``checkImports``), kebab-case (``check-imports``) or
snake_case. Every key is optional; a missing key keeps its default.

The engine's keys (``venv``, ``severity``, ``checkImports``, ...) are those of ``[tool.venvsense]``, listed once in
``venvsense.config.SETTING_KEYS``; what each means is in the README (Configuration, Editors). The server's own:

=====================  =====================================================================================
``installer``          ``auto`` (uv when available, else pip), ``uv`` or ``pip``: what installs and creates run
``trusted``            ``false`` ⇒ no code action or command that runs a process (create, install, fix,
                       recreate) is offered or executed; diagnostics and text edits still work. Default
                       ``true``: clients with a workspace-trust model should send it.
``install``            ``{"findLinks": [folders or URLs], "noIndex": bool, "indexUrl": url}``: passed to every
                       install venvsense runs (``--find-links``, ``--no-index``, ``--index-url``), e.g. for a
                       local wheelhouse or a company mirror; shown in the plan like a requirements file's
``index``              ``{"allowUntrusted": bool}``: ask package indexes (completion, VS210) also in an untrusted
                       workspace (default ``false``: there only cached answers are used)
``inlayHints``         ``{"installed": bool}`` (also sent flat as ``inlayHints.installed``): the installed version
                       after each declaration (default ``true``)
``codeLens``           ``true`` ⇒ a code lens above each declaration: importers and installed version (default
                       ``false``)
``pullDiagnostics``    ``initializationOptions`` only: ``true``/``false`` forces pull/push diagnostics;
                       default: pull when the client supports ``textDocument/diagnostic``
=====================  =====================================================================================

Settings given here are laid over each project's own ``[tool.venvsense]`` table. A client that answers
``workspace/configuration`` is also asked for each workspace folder's section (``scopeUri`` = the folder);
a non-empty answer is laid over the workspace's settings for that folder's projects (``trusted`` excepted:
trust belongs to the workspace).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from venvsense.config import ENGINE_KEYS, Settings, SettingsError, parse_settings

Installer = Literal["auto", "uv", "pip"]
INSTALLERS: tuple[Installer, ...] = ("auto", "uv", "pip")
SECTION = "venvsense"


@dataclass(frozen=True)
class ServerSettings:
    """What the editor configured: engine settings (kebab-case keys) plus the server's own keys."""

    engine: Mapping[str, Any] = field(default_factory=dict)
    installer: Installer = "auto"
    trusted: bool = True
    pull_diagnostics: bool | None = None
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    index_url: str | None = None
    index_allow_untrusted: bool = False
    inlay_hints: bool = True  # the installed version after each declaration
    code_lens: bool = False  # "imported by N files · installed X" above each declaration

    def engine_settings(self) -> Settings:
        """The engine ``Settings`` (already validated when they were read, so this does not raise)."""
        return parse_settings(self.engine)


def _kebab(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", key).replace("_", "-").lower()


def section_of(raw: Any) -> Mapping[str, Any]:
    """The venvsense settings in what a client sent: the ``venvsense`` section when there is one."""
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get(SECTION)
    if isinstance(inner, Mapping):
        return inner
    return raw


def read_settings(raw: Any, *, initial: bool = False) -> tuple[ServerSettings, list[str]]:
    """Settings from a client's payload and one sentence per value that could not be used (then ignored).

    Unknown keys are ignored (clients send their whole configuration section).
    """
    table = section_of(raw)
    errors: list[str] = []
    engine: dict[str, Any] = {}
    installer: Installer = "auto"
    trusted = True
    pull: bool | None = None
    find_links: tuple[str, ...] = ()
    no_index = False
    index_url: str | None = None
    allow_untrusted = False
    display: dict[str, bool] = {}
    for key, value in table.items():
        name = _kebab(str(key))
        if name in ENGINE_KEYS:
            if value is None:
                continue
            try:
                parse_settings({name: value})
            except SettingsError as error:
                errors.append(f"setting {key}: {error}")
                continue
            engine[name] = value
        elif name == "installer":
            if value in INSTALLERS:
                installer = value
            elif value is not None:
                errors.append(f"setting {key}: must be one of auto, uv, pip (got {value!r})")
        elif name == "trusted":
            if isinstance(value, bool):
                trusted = value
            elif value is not None:
                errors.append(f"setting {key}: must be true or false")
        elif name == "install":
            if not isinstance(value, Mapping):
                if value is not None:
                    errors.append(f"setting {key}: must be an object with findLinks and noIndex")
                continue
            links = value.get("findLinks", value.get("find-links", ()))
            if isinstance(links, str):
                links = [links]
            if isinstance(links, (list, tuple)) and all(isinstance(x, str) and x and not x.startswith("-")
                                                         for x in links):
                find_links = tuple(links)
            else:
                errors.append(f"setting {key}.findLinks: must be a list of folders or URLs")
            index_url = value.get("indexUrl", value.get("index-url"))
            if index_url == "":  # an editor's empty text box: no index given (VS Code sends "" for an unset string)
                index_url = None
            if index_url is not None and not (isinstance(index_url, str) and "://" in index_url
                                              and not index_url.startswith("-")):
                errors.append(f"setting {key}.indexUrl: must be the URL of a package index")
                index_url = None
            index_url = index_url or None
            no_index_value = value.get("noIndex", value.get("no-index", False))
            if isinstance(no_index_value, bool):
                no_index = no_index_value
            else:
                errors.append(f"setting {key}.noIndex: must be true or false")
        elif name == "index":
            allowed = value.get("allowUntrusted", value.get("allow-untrusted")) if isinstance(value, Mapping) else None
            if isinstance(allowed, bool):
                allow_untrusted = allowed
            elif allowed is not None or not isinstance(value, (Mapping, type(None))):
                errors.append(f"setting {key}.allowUntrusted: must be true or false")
        elif name in ("inlay-hints", "inlay-hints.installed", "code-lens"):
            _read_display(name, key, value, display, errors)
        elif name == "pull-diagnostics" and initial:
            if isinstance(value, bool) or value is None:
                pull = value
            else:
                errors.append(f"setting {key}: must be true, false or null")
    settings = ServerSettings(engine=engine, installer=installer, trusted=trusted, pull_diagnostics=pull,
                              find_links=find_links, no_index=no_index, index_url=index_url,
                              index_allow_untrusted=allow_untrusted, inlay_hints=display.get("inlay_hints", True),
                              code_lens=display.get("code_lens", False))
    return settings, errors


def _read_display(name: str, key: object, value: Any, display: dict[str, bool], errors: list[str]) -> None:
    """``inlayHints`` (``{"installed": bool}``, or flat ``inlayHints.installed``) and ``codeLens``."""
    if name == "inlay-hints":
        if isinstance(value, Mapping):
            value = value.get("installed")
            key = f"{key}.installed"
        elif isinstance(value, bool):
            pass
        elif value is not None:
            errors.append(f"setting {key}: must be an object such as {{\"installed\": true}}")
            return
    if value is None:
        return
    if not isinstance(value, bool):
        errors.append(f"setting {key}: must be true or false")
        return
    display["code_lens" if name == "code-lens" else "inlay_hints"] = value


def mentions(raw: Any, key: str) -> bool:
    """Whether a client's payload sets ``key`` (any spelling)."""
    return any(_kebab(str(k)) == key for k in section_of(raw))
