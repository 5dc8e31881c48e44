"""The load generator against a tiny HTTP server on loopback: what it counts as measured."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from tools.bench.loadgen import closed_loop, open_loop

REQUEST = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(ANSWER)
            await writer.drain()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@pytest.fixture
async def closing_port() -> AsyncIterator[int]:
    """Answers one request per connection, then closes it, as a server ending keep-alive."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_an_open_loop_never_writes_to_a_connection_the_server_closed(
    closing_port: int,
) -> None:
    result = await open_loop(
        "127.0.0.1", closing_port, [REQUEST] * 10, rate=20.0, duration=30.0, drain_timeout=5.0
    )

    assert result.sent == 10
    assert result.completed == 10


async def test_requests_that_run_out_in_the_warm_up_are_refused(port: int) -> None:
    with pytest.raises(ValueError, match="warm-up"):
        await closed_loop("127.0.0.1", port, [REQUEST] * 5, concurrency=2, duration=5.0, warmup=1.0)


async def test_a_closed_loop_that_runs_out_measures_until_its_last_answer(port: int) -> None:
    result = await closed_loop(
        "127.0.0.1", port, [REQUEST] * 200, concurrency=4, duration=30.0, warmup=0.0
    )

    assert result.completed == 200
    assert result.statuses == {200: 200}
    assert 0 < result.window < 30.0
    assert result.throughput == pytest.approx(200 / result.window)


async def test_an_open_loop_that_runs_out_measures_until_its_last_start(port: int) -> None:
    result = await open_loop(
        "127.0.0.1", port, [REQUEST] * 20, rate=100.0, duration=30.0, warmup=0.0
    )

    assert result.completed == 20
    assert result.window < 1.0
    assert result.throughput > 20.0
