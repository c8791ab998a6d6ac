"""How much work a call does, counted rather than timed: the number of function calls (Python and built-in)
that cProfile sees. The count is the same on a fast machine and a loaded one, so a test can say "linear" or
"bounded" without a timing assertion (timings belong in ``benchmarks/``)."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def calls(function: Callable[[], T]) -> tuple[T, int]:
    """``function()``'s result and the number of calls it made."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        result = function()
    finally:
        profiler.disable()
    return result, pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
