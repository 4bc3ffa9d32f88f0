"""A budget of matcher steps per search, so that no query's work goes uncounted.

The scan cap counts the documents a search scores. Some work happens before a document
is a match: a conjunction (conjunction.py) aligning its words on documents that have
some of them but not all, and a phrase (phrases.py) checking the positions of documents that have
all its words but not in a row ("how do i" at scale L: 1.4 s for 20,000 matches). Each of
those steps spends from the search's budget; when it runs out the search stops where it
is, as at the scan cap: the best found so far, and "more exist".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class OutOfSteps(Exception):
    """The search has spent its budget of steps."""


class StepBudget:
    """Steps left; `spend` raises OutOfSteps once there are none."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise OutOfSteps


_current = threading.local()


@contextmanager
def budget(steps: int) -> Iterator[StepBudget | None]:
    """Matchers made in this thread meanwhile spend from a budget of `steps` (0: none)."""
    previous = getattr(_current, "budget", None)
    _current.budget = StepBudget(steps) if steps else None
    try:
        yield _current.budget
    finally:
        _current.budget = previous


def current() -> StepBudget | None:
    """The budget of the search running in this thread, if any."""
    return getattr(_current, "budget", None)
