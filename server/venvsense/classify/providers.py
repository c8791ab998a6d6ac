"""The installed distributions providing a third-party import, looked up once per context."""

from __future__ import annotations

import threading
from typing import ClassVar

from venvsense.environment import Installed
from venvsense.mapping import ModuleIndex, Provider


class ProviderLookup:
    """A ``ModuleIndex`` and the third-party answers it gave, kept while the installed distributions and the
    module map are unchanged, so a re-check asks nothing twice. The installed distributions are compared by
    identity: ``environment.read_installed`` returns the same ``Installed`` while no site-packages folder
    changed, and a new one otherwise (a different object only costs building the index again)."""

    _recent: ClassVar[list[ProviderLookup]] = []
    _KEEP = 4
    _lock = threading.Lock()

    def __init__(self, installed: Installed | None, module_map: dict[str, tuple[str, ...]]) -> None:
        self.installed = installed
        self.module_map = module_map
        self.index = ModuleIndex(installed, module_map=module_map)
        self._candidates: dict[str, tuple[Provider, ...]] = {}
        self._answers: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[Provider, ...]]] = {}

    @classmethod
    def of(cls, installed: Installed | None, module_map: dict[str, tuple[str, ...]]) -> ProviderLookup:
        with cls._lock:
            for known in cls._recent:
                if known.installed is installed and known.module_map == module_map:
                    return known
            made = cls(installed, module_map)
            cls._recent.insert(0, made)
            del cls._recent[cls._KEEP :]
            return made

    def third_party(self, module: str, names: tuple[str, ...]) -> tuple[str, tuple[Provider, ...]]:
        """The most specific module a third-party import uses, and its installed providers.

        ``from google.cloud import storage``: ``google.cloud.storage`` is tried first (namespace packages).
        """
        key = (module, names)
        answer = self._answers.get(key)
        if answer is None:
            answer = (module, ())
            for candidate in [*(f"{module}.{name}" for name in names if name != "*"), module]:
                providers = self._candidates.get(candidate)
                if providers is None:
                    providers = self._candidates[candidate] = tuple(self.index.installed_providers(candidate))
                if providers:
                    answer = (candidate, providers)
                    break
            self._answers[key] = answer
        return answer
