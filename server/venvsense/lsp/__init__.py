"""The venvsense language server (pygls): diagnostics, quick fixes, watching and status for any LSP client.

This module only registers the ``serve`` subcommand; pygls is imported when the server actually starts, so
``venvsense check`` never pays for it.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register_serve_command"]


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host or "127.0.0.1", int(port)


def run_serve(args: argparse.Namespace, out: Any = None) -> int:
    """Start the server on stdio, or on TCP when ``--tcp HOST:PORT`` was given; returns when it exits."""
    from venvsense.lsp.memory import openssl_deferred, single_malloc_arena

    single_malloc_arena()
    with openssl_deferred():
        from venvsense.lsp.server import start

    start(tcp=args.tcp)
    return 0


def register_serve_command(commands: Any) -> None:
    """Add ``serve [--tcp HOST:PORT]`` to the CLI's subparsers (``commands`` from ``add_subparsers``)."""
    serve = commands.add_parser("serve", help="run the language server (stdio; --tcp HOST:PORT to debug)")
    serve.add_argument("--tcp", metavar="HOST:PORT", type=_address, default=None,
                       help="listen on a TCP socket instead of stdio")
    serve.set_defaults(run=run_serve)
