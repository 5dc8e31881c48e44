"""`contractsync dev`: Temporal dev server (with UI), worker and API in one process group."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings
from core.temporal import SEARCH_ATTRIBUTES

READY_TIMEOUT = 60.0


def installed_binary(name: str) -> str:
    """Binaries shipped inside PyPI packages sit beside the interpreter."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    raise FileNotFoundError(f"{name} is not installed beside {sys.executable}; run `make install`")


def temporal_command(data_dir: Path, port: int, ui_port: int) -> list[str]:
    command = [
        installed_binary("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--log-level",
        "warn",
        # The dev server's SQLite otherwise keeps a rollback journal and syncs the disk on
        # every commit. With a write-ahead log synced at checkpoints its state still survives
        # the server being killed (the fault suite's temporal-restart), and it passes about
        # 1.8 times as many signals a second (docs/benchmarks.md).
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
    ]
    for key in SEARCH_ATTRIBUTES:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    return command


def wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Readiness probe: the port accepts connections (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")


@dataclass
class Stack:
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, command: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(list(command), env=env)  # noqa: S603  (our own binaries)
        self.processes.append(process)
        return process

    def stop(self, grace: float = 10.0) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_dev(settings: Settings, data_dir: Path, temporal_port: int, ui_port: int) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("CONTRACTSYNC_ENV", "dev")
    env.setdefault("ALLOW_PRIVATE_TARGETS", "true")
    env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{temporal_port}"
    env["TEMPORAL_UI_URL"] = f"http://127.0.0.1:{ui_port}"
    env.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'contractsync.db'}")
    me = [sys.executable, "-m", "core.cli"]
    stack = Stack()
    crm_port = None if "CRM_BASE_URL" in env else free_port()
    if crm_port is not None:  # a CRM stand-in, so terminal contracts reconcile somewhere
        env["CRM_BASE_URL"] = f"http://127.0.0.1:{crm_port}"
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    # Started in the background by a script, SIGINT arrives ignored; Ctrl-C must still stop us.
    signal.signal(signal.SIGINT, on_signal)
    try:
        temporal = stack.start(temporal_command(data_dir, temporal_port, ui_port), env)
        if crm_port is not None:
            crm = stack.start(
                [sys.executable, "-m", "tools.crm_stub", "--port", str(crm_port)], env
            )
            wait_for_port("127.0.0.1", crm_port, crm, READY_TIMEOUT)
        wait_for_port("127.0.0.1", temporal_port, temporal, READY_TIMEOUT)
        worker = stack.start([*me, "worker"], env)
        api = stack.start([*me, "api"], env)
        wait_for_port(settings.api_host, settings.api_port, api, READY_TIMEOUT)
        print(
            "\nContractSync is up:\n"
            f"  API          http://{settings.api_host}:{settings.api_port}  (docs: /docs)\n"
            f"  Temporal UI  http://127.0.0.1:{ui_port}\n"
            f"  Temporal     127.0.0.1:{temporal_port}\n"
            f"  CRM          {env['CRM_BASE_URL']}\n"
            f"  data         {data_dir}\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(process.poll() is None for process in (temporal, worker, api)):
            time.sleep(0.5)
        failed = [process.args for process in stack.processes if process.poll() is not None]
        print(f"stopping: {failed} exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()
        if not stopping:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
