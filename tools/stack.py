"""A whole ContractSync stack as separate processes on loopback, for the benchmark and the
fault suite: Temporal dev server (state in a file, so it survives a restart), worker(s) and
API(s), each of which can be killed and started again.

Ports are chosen free, but nothing reserves them until the server binds them, and other
processes on the machine (outgoing connections included) can take one in between: a server
that exits at its first start is started again on new ports.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from core.devstack import temporal_command, wait_for_port
from core.sealing import new_key

READY = 60.0
START_ATTEMPTS = 3
T = TypeVar("T")
SECRETS = {
    "VLENS_WEBHOOK_TOKEN": "bench-vlens",
    "DOCUMENSO_WEBHOOK_SECRET": "bench-documenso",
    "FINTECHOS_WEBHOOK_TOKEN": "bench-fintechos",
    "SIGNLY_WEBHOOK_TOKEN": "bench-signly",
}
API_KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Stack:
    data_dir: Path
    database_url: str | None = None  # default: a SQLite file in data_dir
    extra_env: dict[str, str] = field(default_factory=dict)
    temporal_port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    secrets_key: str = field(default_factory=new_key)  # shared by its APIs and workers
    temporal: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    apis: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)  # port -> process

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTSYNC_")}
        env |= SECRETS | {
            "CONTRACTSYNC_ENV": "test",
            "CONTRACTSYNC_API_KEYS": API_KEY,
            "ALLOW_PRIVATE_TARGETS": "true",
            "SECRETS_KEYS": self.secrets_key,  # subscriptions sealed at rest, as in production
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "TEMPORAL_UI_URL": f"http://127.0.0.1:{self.ui_port}",
            "DATABASE_URL": self.database_url or f"sqlite:///{self.data_dir / 'contractsync.db'}",
            "LOG_LEVEL": "WARNING",
        }
        return env | self.extra_env

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    def api_url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{list(self.apis)[index]}"

    def start_temporal(self) -> None:
        """A restart keeps the ports: the worker and the APIs are connected to them."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.temporal is not None:
            self._start_temporal_here()
            return

        def new_ports() -> None:
            self.temporal_port, self.ui_port = free_port(), free_port()

        _retried(self._start_temporal_here, before_retry=new_ports)

    def _start_temporal_here(self) -> None:
        command = temporal_command(self.data_dir, self.temporal_port, self.ui_port)
        self.temporal = self._spawn(command)
        wait_for_port("127.0.0.1", self.temporal_port, self.temporal, READY)

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = self._spawn([sys.executable, "-m", "core.cli", "worker"])
        self.workers.append(worker)
        return worker

    def start_api(self, port: int | None = None) -> str:
        """On `port` (a restart), or on a free one, chosen again if it was taken meanwhile."""
        if port is not None:
            return self._start_api_on(port)
        return _retried(lambda: self._start_api_on(free_port()))

    def _start_api_on(self, port: int) -> str:
        env = {"API_PORT": str(port), "API_HOST": "127.0.0.1"}
        api = self._spawn([sys.executable, "-m", "core.cli", "api"], env)
        self.apis[port] = api
        try:
            wait_for_port("127.0.0.1", port, api, READY)
        except RuntimeError:
            del self.apis[port]
            raise
        return f"http://127.0.0.1:{port}"

    def kill(self, process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if process.poll() is None:
            process.send_signal(sig)
        process.wait(timeout=30)

    def kill_workers(self) -> None:
        for worker in self.workers:
            self.kill(worker)
        self.workers.clear()

    def restart_temporal(self) -> None:
        assert self.temporal is not None
        self.kill(self.temporal)
        self.start_temporal()

    def stop(self) -> None:
        processes = [*self.apis.values(), *self.workers, self.temporal]
        for process in processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            if process is None:
                continue
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def client(self, index: int = 0, timeout: float = 30.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.api_url(index),
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=timeout,
        )

    def _spawn(
        self, command: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        # The child gets its own copy of the descriptor; ours is closed at once, or every
        # process started would leave an open file behind (a ResourceWarning in tests).
        with open(self.data_dir / "stack.log", "ab") as log:
            return subprocess.Popen(  # noqa: S603  (our own commands)
                command, env=self.env | (env or {}), stdout=log, stderr=subprocess.STDOUT
            )


def _retried(start: Callable[[], T], before_retry: Callable[[], None] = lambda: None) -> T:
    """A first start whose server exited (most likely a port taken since it was chosen) is
    made again, up to START_ATTEMPTS times, `before_retry` choosing new ports first."""
    for _ in range(START_ATTEMPTS - 1):
        with contextlib.suppress(RuntimeError):
            return start()
        before_retry()
    return start()


@contextmanager
def running_stack(
    data_dir: Path, apis: int = 1, workers: int = 1, **options: object
) -> Iterator[Stack]:
    stack = Stack(data_dir, **options)  # type: ignore[arg-type]
    try:
        stack.start_temporal()
        for _ in range(workers):
            stack.start_worker()
        for _ in range(apis):
            stack.start_api()
        yield stack
    finally:
        stack.stop()
