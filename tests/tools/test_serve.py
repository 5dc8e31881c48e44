import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from tools.serve import serve


async def test_serves_on_loopback_until_the_block_ends() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    async with httpx.AsyncClient() as client:
        async with serve(app) as base_url:
            assert base_url.startswith("http://127.0.0.1:")
            response = await client.get(f"{base_url}/ping")
            assert response.json() == {"pong": "yes"}
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{base_url}/ping")


async def test_two_servers_get_two_ports() -> None:
    app = FastAPI()
    async with serve(app) as first, serve(app) as second:
        assert first != second


async def test_runs_the_apps_lifespan() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    async with serve(FastAPI(lifespan=lifespan)):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


async def test_a_failing_startup_is_an_error_not_an_exit() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    with pytest.raises(RuntimeError, match="failed to start"):
        async with serve(FastAPI(lifespan=lifespan)):
            pass


async def test_answers_without_waiting_for_delayed_acks() -> None:
    # Without TCP_NODELAY on the accepted sockets every answer takes ~40 ms on Linux, which
    # would swamp the latencies the benchmark measures.
    app = FastAPI()

    @app.post("/echo")
    async def echo() -> dict[str, bool]:
        return {"ok": True}

    latencies = []
    async with httpx.AsyncClient() as client, serve(app) as base_url:
        for _ in range(11):
            started = time.perf_counter()
            await client.post(f"{base_url}/echo", content=b"{}")
            latencies.append(time.perf_counter() - started)

    assert statistics.median(latencies) < 0.02
