"""`contractsync api` freezes its startup heap before serving, so a full collection skips it."""

import os
import subprocess
import sys
from pathlib import Path

# Its own interpreter: freezing this test process's heap would outlive the test. uvicorn.run
# is where serving would start: it reports what the collector sees at that moment instead.
PROBE = """
import gc, sys
import uvicorn
from core.cli import app
from core.heap import YOUNG_THRESHOLD

def report(*args, **kwargs):
    young = gc.get_threshold()[0] == YOUNG_THRESHOLD
    print(gc.get_freeze_count(), len(gc.get_objects(2)), young)

uvicorn.run = report
app(["api"], standalone_mode=False)
"""


def test_the_api_serves_with_its_startup_heap_out_of_the_collectors_sight(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CONTRACTSYNC_ENV": "dev",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'heap.db'}",
    }
    out = subprocess.run(  # noqa: S603  (our own probe)
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    frozen, old, threshold = int(out[-3]), int(out[-2]), out[-1]
    assert frozen > 50_000  # the imported libraries' objects
    assert old < frozen / 10  # what a full collection still walks
    assert threshold == "True"
