"""Where the CPU went during a measurement: each stack process, and the whole machine."""

import time
from dataclasses import dataclass

import psutil

from tools.stack import Stack


@dataclass(frozen=True)
class CpuShare:
    """Percent of one core for each stack process; `machine` is percent of all cores busy,
    `others` the part of it spent outside the benchmark's own processes (the load process
    and the benchmark itself count as its own): other work sharing the machine."""

    api: float
    worker: float
    temporal: float
    machine: float
    others: float

    def describe(self) -> str:
        return (
            f"API {self.api:.0f} %, worker {self.worker:.0f} %, Temporal {self.temporal:.0f} % "
            f"of a core; machine {self.machine:.0f} % busy, {self.others:.0f} % of it other work"
        )


class CpuMeter:
    def __init__(self, stack: Stack) -> None:
        self._processes = {
            "api": [psutil.Process(p.pid) for p in stack.apis.values()],
            "worker": [psutil.Process(p.pid) for p in stack.workers],
            "temporal": [psutil.Process(stack.temporal.pid)] if stack.temporal else [],
        }
        self._started = time.monotonic()
        self._spent = {name: self._seconds(group) for name, group in self._processes.items()}
        self._ours = _own_seconds()
        self._machine: dict[str, float] = psutil.cpu_times()._asdict()

    def read(self) -> CpuShare:
        wall = max(time.monotonic() - self._started, 1e-9)
        share = {
            name: (self._seconds(group) - self._spent[name]) / wall * 100
            for name, group in self._processes.items()
        }
        machine = _busy(self._machine, psutil.cpu_times()._asdict())
        cores = psutil.cpu_count() or 1
        ours = (_own_seconds() - self._ours) / wall * 100 / cores
        return CpuShare(
            api=share["api"],
            worker=share["worker"],
            temporal=share["temporal"],
            machine=machine,
            others=max(machine - ours, 0.0),
        )

    @staticmethod
    def _seconds(group: list[psutil.Process]) -> float:
        total = 0.0
        for process in group:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue  # it stopped; what it used before is already counted
            total += times.user + times.system
        return total


def _own_seconds() -> float:
    """CPU seconds of this process and everything it started, finished children included."""
    me = psutil.Process()
    times = me.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _busy(before: dict[str, float], after: dict[str, float]) -> float:
    # Linux counts guest time inside user time already; idle and iowait are not work.
    spent = {
        name: value - before[name]
        for name, value in after.items()
        if name not in ("guest", "guest_nice")
    }
    total = sum(spent.values())
    idle = spent.get("idle", 0.0) + spent.get("iowait", 0.0)
    return (total - idle) / total * 100 if total else 0.0
