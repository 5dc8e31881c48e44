"""`contractsync dev` (what `make run` runs): Temporal with its UI, worker and API come up
together, a webhook goes all the way through, and SIGINT stops every process."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import psutil
import pytest

STARTUP = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        assert process.poll() is None, "the dev stack exited early"
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.fixture
def dev_stack(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, int]]]:
    ports = {name: free_port() for name in ("api", "temporal", "ui")}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CONTRACTSYNC_ENV")
    } | {"API_PORT": str(ports["api"]), "API_HOST": "127.0.0.1"}
    command = [sys.executable, "-m", "core.cli", "dev", "--data-dir", str(tmp_path / "data")]
    command += ["--temporal-port", str(ports["temporal"]), "--ui-port", str(ports["ui"])]
    process = subprocess.Popen(command, env=env, cwd=tmp_path)  # noqa: S603
    try:
        yield process, ports
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_dev_stack_runs_a_webhook_through_and_stops_cleanly(
    dev_stack: tuple[subprocess.Popen[bytes], dict[str, int]], tmp_path: Path
) -> None:
    process, ports = dev_stack
    api = f"http://127.0.0.1:{ports['api']}"
    assert wait_until_up(f"{api}/healthz", process).json() == {"status": "ok"}
    ui = httpx.get(f"http://127.0.0.1:{ports['ui']}/", timeout=10)
    assert ui.status_code == 200
    children = psutil.Process(process.pid).children(recursive=True)
    assert len(children) >= 3  # temporal, worker, api

    body = {
        "Id": "delivery-1",
        "WebhookEvent": "App.BusinessRequestStatusChange",
        "Attempt": 1,
        "Data": {"Id": "br-1", "NewStatus": "Approved"},
        "CreationTimeUtc": "2026-01-01T00:00:00Z",
    }
    ack = httpx.post(f"{api}/webhooks/vlens", json=body, timeout=10)
    assert ack.status_code == 202  # dev mode: no secret configured, accepted with a warning
    event_id = ack.json()["event_id"]
    view = httpx.get(
        f"{api}/contracts/vlens:br-1", params={"wait_for": event_id, "timeout": 20}, timeout=30
    ).json()
    assert view["status"] == "APPROVED"
    assert view["temporal_ui_url"].startswith(f"http://127.0.0.1:{ports['ui']}/namespaces/default/")
    with closing(sqlite3.connect(tmp_path / "data" / "temporal.db")) as state:
        assert state.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    _gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"left running: {alive}"
