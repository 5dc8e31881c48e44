"""py-spy on a stack process while it is under load, summed up as where its CPU time went.

Profiles are taken in extra runs, never during a measured one: py-spy takes CPU of its own,
and on two cores that would tax our stack and not the baseline beside it.
"""

import asyncio
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^():]*):\d+\)$")
OURS = ("api/", "core/", "workflows/", "activities/", "worker.py")
# Every sample is under the process's entry point; saying so adds nothing.
ENTRY = {"core/cli.py:<module>", "core/cli.py:api", "core/cli.py:worker", "worker.py:main"}


@dataclass(frozen=True)
class Profile:
    process: str
    load: str
    samples: int
    leaves: list[tuple[str, float]]  # package where the sample was taken, % of samples
    ours: list[tuple[str, float]]  # our functions on the stack, % of samples (inclusive)

    def lines(self) -> list[str]:
        leaves = ", ".join(f"{name} {share:.0f} %" for name, share in self.leaves)
        ours = ", ".join(f"`{name}` {share:.0f} %" for name, share in self.ours)
        return [
            f"{self.process} under {self.load} ({self.samples} samples holding the GIL): "
            f"innermost frame in {leaves}; our code on the stack: {ours}"
        ]


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@asynccontextmanager
async def recording(pid: int, out: Path) -> AsyncIterator[bool]:
    """Samples `pid` for as long as the block runs; yields whether py-spy is there at all."""
    binary = py_spy()
    if binary is None:
        yield False
        return
    spy = await asyncio.create_subprocess_exec(
        binary,
        *("record", "--pid", str(pid), "--rate", "100", "--format", "raw"),
        # --gil: only samples that hold the GIL, i.e. Python at work, not threads waiting.
        *("--output", str(out), "--nonblocking", "--gil"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield True
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        await spy.wait()


def summarise(raw: Path, process: str, load: str, top: int = 6) -> Profile | None:
    """Leaf samples grouped by package; our own functions by inclusive share."""
    if not raw.exists():
        return None
    leaves: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_FRAME.match(frame) for frame in stack.split(";")]
        parsed = [(f["function"], f["path"]) for f in frames if f is not None]
        leaves[_package(parsed[-1][1]) if parsed else "native"] += samples
        mine = {f"{path}:{name}" for name, path in parsed if path.startswith(OURS)}
        for function in mine - ENTRY:
            ours[function] += samples
    if not total:
        return None
    share = 100 / total
    return Profile(
        process=process,
        load=load,
        samples=total,
        leaves=[(name, n * share) for name, n in leaves.most_common(top)],
        ours=[(name, n * share) for name, n in ours.most_common(top)],
    )


def _package(path: str) -> str:
    if path.startswith(OURS):
        return path
    if path.startswith("<frozen importlib"):
        return "importlib"
    return path.split("/", 1)[0] if "/" in path else path
