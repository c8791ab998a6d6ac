"""The parts of the language server a feature works with, handed to every handler (features never import the
server class)."""

from __future__ import annotations

from dataclasses import dataclass

from venvsense.lsp.client import Client
from venvsense.lsp.discovery import Discovery
from venvsense.lsp.poller import Poller
from venvsense.lsp.publish import Publisher
from venvsense.lsp.scheduler import Scheduler
from venvsense.lsp.session import Session


@dataclass(frozen=True)
class Context:
    """One server's session state, scheduler, publisher, discovery, poller, and its client."""

    client: Client
    session: Session
    publisher: Publisher
    scheduler: Scheduler
    discovery: Discovery
    poller: Poller
