"""Raw HTTP/1.1 keep-alive load over asyncio, for the load process (`tools.bench.agent`).

httpx spends more CPU per request than a small FastAPI endpoint does, so a generator built on
it would measure itself. This one sends pre-rendered requests on plain protocol objects and
reads only the status line and Content-Length of each answer: every target here answers with
a length (uvicorn always sets one for a JSON body), so chunked answers are refused.
"""

import asyncio
import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

_HEADER_END = b"\r\n\r\n"
_LENGTH = b"\r\ncontent-length:"


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight at a time."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports quack like asyncio's without subclassing them.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(_HEADER_END)
        if end < 0:
            return
        head = bytes(self._buffer[:end]).lower()
        start = head.find(_LENGTH)
        if start < 0:
            self._fail(ConnectionError("an answer without Content-Length"))
            return
        stop = head.find(b"\r\n", start + 2)
        length = int(head[start + len(_LENGTH) : stop if stop >= 0 else None])
        total = end + len(_HEADER_END) + length
        if len(self._buffer) < total:
            return
        status = int(head[9:12])
        body = bytes(self._buffer[end + len(_HEADER_END) : total])
        del self._buffer[:total]
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result((status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionError("the server closed the connection"))

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.closed or self._transport is None:
            raise ConnectionError("the connection is closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _connect(host: str, port: int) -> _Connection:
    _, protocol = await asyncio.get_running_loop().create_connection(_Connection, host, port)
    return protocol


class Pool:
    """Keep-alive connections to one server, opened on demand, at most `limit` at once."""

    def __init__(self, host: str, port: int, limit: int = 512) -> None:
        self._host = host
        self._port = port
        self._idle: list[_Connection] = []
        self._room = asyncio.Semaphore(limit)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        async with self._room:
            connection = await self._take()
            try:
                return await connection.request(raw)
            finally:
                if not connection.closed:
                    self._idle.append(connection)

    async def _take(self) -> _Connection:
        """An idle connection the server has not closed meanwhile (uvicorn closes one idle for
        5 s: a request written to it would never be answered), else a new one."""
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        return await _connect(self._host, self._port)

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


@dataclass
class LoadResult:
    """What one run did; only requests started inside the measured window count."""

    started_at: float  # wall clock (epoch seconds) of the first request, warm-up included
    finished_at: float  # wall clock when the last answer came back
    window: float  # seconds measured (after warm-up)
    completed: int = 0  # answered inside the window
    sent: int = 0  # every request sent, warm-up included
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, window only

    @property
    def throughput(self) -> float:
        return self.completed / self.window if self.window > 0 else 0.0


class _Run:
    def __init__(self, requests: Sequence[bytes], cycle: bool, warmup: float) -> None:
        if not requests:
            raise ValueError("no requests to send")
        self._next = _feed(requests, cycle)
        self._t0 = time.perf_counter()
        self.window_start = self._t0 + warmup
        self.window_end = float("inf")
        self.ran_out_at = float("inf")
        self.result = LoadResult(time.time(), 0.0, 0.0)

    def take(self) -> bytes | None:
        raw = next(self._next, None)
        if raw is None:
            self.ran_out_at = min(self.ran_out_at, time.perf_counter())
        return raw

    async def send(self, via: _Connection | Pool, raw: bytes, due: float) -> None:
        """`due` is when the request should have gone: an open loop's latency starts there."""
        result = self.result
        result.sent += 1
        try:
            status, _ = await via.request(raw)
        except (ConnectionError, OSError):
            result.errors += 1
            return
        done = time.perf_counter()
        if self.window_start <= due < self.window_end:
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.latencies.append(done - due)
            if done <= self.window_end:
                result.completed += 1

    def finish(self, measured_until: float) -> LoadResult:
        """Raises if the requests ran out before the window opened: nothing was measured."""
        if self.ran_out_at <= self.window_start:
            raise ValueError(
                f"all {self.result.sent} requests went out during the warm-up: give the run more"
            )
        self.result.window = max(measured_until - self.window_start, 0.0)
        self.result.finished_at = time.time()
        return self.result


def _feed(requests: Sequence[bytes], cycle: bool) -> Iterator[bytes]:
    while True:
        yield from requests
        if not cycle:
            return


async def closed_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    concurrency: int,
    duration: float,
    warmup: float = 0.0,
    cycle: bool = False,
) -> LoadResult:
    """`concurrency` connections, each sending its next request as soon as the last is
    answered, for `warmup + duration` seconds or until the requests run out."""
    run = _Run(requests, cycle, warmup)
    run.window_end = run.window_start + duration
    connections = [await _connect(host, port) for _ in range(concurrency)]

    async def worker(connection: _Connection) -> None:
        while time.perf_counter() < run.window_end and not connection.closed:
            raw = run.take()
            if raw is None:
                return
            await run.send(connection, raw, time.perf_counter())

    try:
        await asyncio.gather(*(worker(connection) for connection in connections))
    finally:
        for connection in connections:
            connection.close()
    return run.finish(min(time.perf_counter(), run.window_end))


async def open_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    rate: float,
    duration: float,
    warmup: float = 0.0,
    cycle: bool = False,
    max_connections: int = 512,
    drain_timeout: float = 30.0,
) -> LoadResult:
    """Requests start on a fixed schedule (`rate` per second) whether or not earlier ones have
    been answered; each latency is measured from its scheduled start, so a stalled target
    shows up as latency instead of quietly lowering the offered load."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    run = _Run(requests, cycle, warmup)
    run.window_end = run.window_start + duration
    pool = Pool(host, port, max_connections)
    tasks: set[asyncio.Task[None]] = set()

    started = time.perf_counter()
    index = 0
    while True:
        due = started + index / rate
        if due >= run.window_end:
            break
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        raw = run.take()
        if raw is None:
            break
        task = asyncio.create_task(run.send(pool, raw, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        index += 1
    if tasks:
        await asyncio.wait(tasks, timeout=drain_timeout)
    for task in tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)
    pool.close()
    return run.finish(min(run.window_end, run.ran_out_at))
