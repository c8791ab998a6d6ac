"""A guard between venvsense and each installer command, so that no installer outlives venvsense.

``kill -9`` of venvsense (the CLI or the language server) leaves its children running: nothing in the kernel
ties a child's life to its parent's unless the child asks (``PR_SET_PDEATHSIG``, Linux only, and only for that
one process, not the build backends it starts; setting it needs ``preexec_fn``, which is unsafe in a
threaded server). Instead, each command runs under a tiny guard process (venvsense's own Python, isolated
mode, no site, no project code):

- the guard starts the command in a new session (its own process group: the installer, build backends,
  compilers), with no stdin, its output going straight to venvsense's pipe;
- the guard's stdin is a pipe whose only writer is venvsense. When venvsense dies for any reason (or closes
  the pipe to cancel), the guard reads end-of-file, kills the command's whole process group with SIGKILL,
  removes the unfinished staging folder it was told about, and exits;
- when the command ends by itself, the guard exits with its status (``128 + n`` for a signal ``n``).

The lock of the venv (an ``flock``) is passed to the guard too, so it stays held until the clean-up is done:
a new run cannot start on the folder the guard is removing. There is no window where a command runs
unguarded: the guard starts it, and reads the pipe after; a venvsense already gone is an end-of-file at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

# The exit status and first-line marker the guard uses when the command cannot start at all.
CANNOT_START = 197
MARKER = "venvsense-guard: cannot start "

GUARD_CODE = r'''
import os, shutil, signal, subprocess, sys, threading
cleanup, argv = sys.argv[1], sys.argv[2:]
try:
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
except OSError as error:
    sys.stdout.write("MARKER" + argv[0] + ": " + (error.strerror or str(error)) + "\n")
    sys.stdout.flush()
    os._exit(CANNOT_START)
done, orphaned = threading.Event(), threading.Event()

def watch():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    orphaned.set()
    done.set()

def wait():
    child.wait()
    done.set()

for target in (watch, wait):
    threading.Thread(target=target, daemon=True).start()
done.wait()
if orphaned.is_set():
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except OSError:
        pass
    child.wait()
    if cleanup:
        shutil.rmtree(cleanup, ignore_errors=True)
    os._exit(137)
code = child.returncode
os._exit(code if code >= 0 else 128 - code)
'''.replace("MARKER", MARKER).replace("CANNOT_START", str(CANNOT_START))


def available() -> bool:
    """Whether commands can run guarded: a POSIX system and an interpreter of our own to run the guard."""
    return os.name == "posix" and bool(sys.executable) and os.path.isfile(sys.executable)


def guarded_argv(argv: Sequence[str], cleanup: Path | None = None) -> list[str]:
    """``argv`` run under the guard; ``cleanup`` is the folder removed when venvsense dies mid-command."""
    return [sys.executable, "-I", "-S", "-c", GUARD_CODE, str(cleanup) if cleanup else "", *argv]
