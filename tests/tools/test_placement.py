"""The benchmark's CPU placement: every thread of a process pinned, and this process restored."""

import os
import subprocess
import sys
import threading

from tools.bench.placement import pin, split, this_process_on

# A process with threads of its own, all waiting until its stdin closes.
THREADED = (
    "import sys, threading\n"
    "threads = [threading.Thread(target=sys.stdin.read) for _ in range(3)]\n"
    "[t.start() for t in threads]\n"
    "print('ready', flush=True)\n"
    "[t.join() for t in threads]\n"
)


def affinities(pid: int) -> list[set[int]]:
    return [os.sched_getaffinity(int(tid)) for tid in os.listdir(f"/proc/{pid}/task")]


def test_the_server_gets_a_core_and_the_rest_the_others() -> None:
    placement = split()
    assert placement is not None, "the benchmark's machine has two cores or more"
    assert placement.server.isdisjoint(placement.rest)
    assert placement.server | placement.rest == os.sched_getaffinity(0)
    assert "server on CPU" in placement.describe()


def test_every_thread_of_a_process_is_pinned() -> None:
    placement = split()
    assert placement is not None
    child = subprocess.Popen(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", THREADED], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        assert len(affinities(child.pid)) >= 4
        pin(child.pid, placement.server)
        assert affinities(child.pid) == [set(placement.server)] * len(affinities(child.pid))
    finally:
        child.communicate(b"")


def test_this_process_is_restored_after_the_block() -> None:
    placement = split()
    assert placement is not None
    before = os.sched_getaffinity(0)
    with this_process_on(placement.rest):
        started = subprocess.run(
            [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert started.stdout.strip() == str(sorted(placement.rest))  # children inherit it
        seen: list[set[int]] = []
        thread = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
        thread.start()
        thread.join()
        assert seen == [set(placement.rest)]
    assert os.sched_getaffinity(0) == before
