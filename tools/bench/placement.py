"""Where the benchmark's processes run: anywhere (shared), or the API on a core of its own.

On a two-core machine the API shares its cores with the Temporal server, the worker and the load
generator, and a webhook waits whenever the scheduler hands its core to one of them: on this
machine that was most of the half-load p99. In production the Temporal server and the load are
elsewhere. The second layout gives the server under test (our API, or the bare endpoint) the
first core and everything else the rest, the closest two cores come to separate machines.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Split:
    server: frozenset[int]  # the API, or the bare endpoint
    rest: frozenset[int]  # Temporal, the worker, the benchmark and its load generator

    def describe(self) -> str:
        return f"server on CPU {_list(self.server)}, everything else on CPU {_list(self.rest)}"


def split() -> Split | None:
    """The server's core and the others'; None on a single-core machine."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return Split(frozenset(cpus[:1]), frozenset(cpus[1:]))


def pin(pid: int, cpus: Iterable[int]) -> None:
    """Every thread of `pid` (threads started later inherit from the one that starts them)."""
    chosen = set(cpus)
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            os.sched_setaffinity(int(tid), chosen)


@contextlib.contextmanager
def this_process_on(cpus: Iterable[int]) -> Iterator[None]:
    """This process, and so every process it starts meanwhile, on `cpus`; restored after."""
    before = os.sched_getaffinity(0)
    pin(os.getpid(), cpus)
    try:
        yield
    finally:
        pin(os.getpid(), before)


def _list(cpus: frozenset[int]) -> str:
    return ", ".join(str(cpu) for cpu in sorted(cpus))
