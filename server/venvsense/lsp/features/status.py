"""The ``venvsense/getStatus`` request: every project's status (what ``venvsense/status`` notifications carry)."""

from __future__ import annotations

from typing import Any

from venvsense.lsp.context import Context


def get_status(ctx: Context, params: Any) -> dict[str, Any]:
    return ctx.publisher.status_payload()
