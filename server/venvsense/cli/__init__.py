"""The ``venvsense`` command line, a shell over the engine (``check``, ``show``) and the actions (``create``,
``fix``): argument parsing, output and exit codes only; ``serve`` hands over to the language server."""

from __future__ import annotations

import gc
import os
import sys

from venvsense import __version__

TYPE_CHECKING = False  # (importing `typing` for it would cost more than the rest of `--version`)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

__all__ = ["UsageError", "build_parser", "main"]


def __getattr__(name: str) -> object:
    # `UsageError` comes with the engine (``cli.projects`` imports it): imported when asked for, so that
    # `venvsense --version` imports nothing of the engine
    if name == "UsageError":
        from venvsense.cli.projects import UsageError

        return UsageError
    raise AttributeError(name)

# the commands that only read: they need neither the actions nor the language server, and run with the
# cyclic garbage collector off (see ``main``)
READING_COMMANDS = ("check", "show")


def build_parser(*, engine_only: bool = False, only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; ``engine_only``: only ``check`` and ``show`` (which then need not import the
    actions and the language server); ``only="check"``: that command alone (it imports the engine itself)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="venvsense",
        description="Check that each Python project has its own venv with exactly what it declares installed.",
    )
    parser.add_argument("--version", action="version", version=f"venvsense {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from venvsense.cli import check  # (engine-free: it imports the engine when it runs)

    check.register(commands)
    if only == "check":
        return parser
    from venvsense.cli import show  # the engine: not for `--version`, nor for `check`

    show.register(commands)
    if engine_only:
        return parser
    from venvsense.cli import create_fix  # imports the actions: only for the commands that may need them

    create_fix.register(commands)
    from venvsense.cli import freeze

    freeze.register(commands)
    from venvsense.cli import sync  # venvsense sync: the lock file's actions

    sync.register(commands)

    from venvsense.lsp import register_serve_command  # pygls is imported only when `serve` runs

    register_serve_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:2] if argv is None else list(argv[:1])
    if (sys.argv[1:] if argv is None else list(argv)) == ["--version"]:
        print(f"venvsense {__version__}")  # as argparse's version action prints it, without the parser's imports
        return 0
    from venvsense.cli.check import plain_arguments

    args: Any = plain_arguments(sys.argv[1:] if argv is None else list(argv))  # `check PATH...`: no argparse
    if args is None:
        reading_command = len(words) == 1 and words[0] in READING_COMMANDS
        parser = build_parser(engine_only=reading_command, only=words[0] if reading_command else None)
        try:
            args, extra = parser.parse_known_args(argv)
            if extra and getattr(args, "paths", None) is not None and not any(word.startswith("-") for word in extra):
                # `show deps --lock PATH`: argparse gives `paths` nothing once an option follows `what`, and the
                # paths after the option come back unparsed; they are the command's paths all the same
                args.paths.extend(extra)
            elif extra:
                parser.error(f"unrecognized arguments: {' '.join(extra)}")
        except SystemExit as exit_:
            return int(exit_.code or 0) if isinstance(exit_.code, int) else 2
    # A check allocates many small, long-lived and acyclic objects (the imports of every module): the cyclic
    # collector would walk them again and again for nothing. Only for the short commands; `serve` runs with the
    # collector as usual. (What it costs: benchmarks/README.md.)
    reading = args.command in READING_COMMANDS
    collect = reading and gc.isenabled()
    if collect:
        gc.disable()
    try:
        result: int = args.run(args, sys.stdout)
        return result
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        print("venvsense: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a usage error (one line), or a bug of ours
        usage = sys.modules.get("venvsense.cli.projects")  # (loaded with the engine: no error of it before)
        if usage is not None and isinstance(error, usage.UsageError):
            print(f"venvsense: {error}", file=sys.stderr)
            return 2
        # a bug: one clear line, not a traceback (VENVSENSE_DEBUG=1 shows it)
        if os.environ.get("VENVSENSE_DEBUG"):
            raise
        print(f"venvsense: internal error ({type(error).__name__}: {error}); "
              "run again with VENVSENSE_DEBUG=1 for the traceback and please report it", file=sys.stderr)
        return 2
    finally:
        if collect:
            if argv is None:
                # the program itself (not a caller passing arguments) is about to exit: move what it made into
                # the collector's permanent generation, so exiting does not walk all those objects again
                gc.freeze()
            gc.enable()
