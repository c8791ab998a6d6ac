"""Running a command the way an ordinary user would meet file permissions, even when the tests run as root.

Root passes every permission check through its ``CAP_DAC_OVERRIDE``/``CAP_DAC_READ_SEARCH``/``CAP_FOWNER``
capabilities, so a read-only folder is no obstacle to it. ``setpriv`` (util-linux) drops those from the bounding
set before ``exec``: the command still runs as root, owns what root owns, but a folder with mode ``0555`` is
read-only to it and one with mode ``0`` unreadable, as for anybody else.
"""

from __future__ import annotations

import os
import shutil

import pytest

_DROPPED = "-dac_override,-dac_read_search,-fowner"


def as_ordinary_user() -> list[str]:
    """The prefix for a command line: nothing for a non-root user, ``setpriv`` for root; skips the test when
    root has no ``setpriv``."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    return [setpriv, "--bounding-set", _DROPPED, "--"]
