"""Run an ASGI app as a real uvicorn server on loopback, for as long as a block lasts."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The host process (pytest, the CLI, the benchmark) owns Ctrl-C, not this server.
        yield


async def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as error:
        # uvicorn exits the process when the app's startup fails; inside a task that would
        # tear down the caller's event loop, so it becomes an ordinary error.
        raise RuntimeError("the server failed to start") from error


@contextlib.asynccontextmanager
async def serve(
    app: ASGIApp, host: str = "127.0.0.1", startup_timeout: float = 10.0
) -> AsyncIterator[str]:
    """Serve `app` on a free port and yield its base URL (`http://127.0.0.1:PORT`)."""
    # Binding here, not in uvicorn, means the port is ours before anyone can race for it.
    # The explicit protocol matters: asyncio only sets TCP_NODELAY on sockets that say TCP,
    # and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    server = _EmbeddedServer(config)
    task = asyncio.create_task(_run(server, sock), name=f"uvicorn:{port}")
    try:
        async with asyncio.timeout(startup_timeout):
            await _started(server, task)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        if server.started:
            await task  # a crash while serving surfaces here
        else:
            task.cancel()
            await asyncio.wait([task])
        sock.close()


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    while not server.started:
        if task.done():
            task.result()  # raises why it stopped
            raise RuntimeError("the server stopped before it started")
        await asyncio.sleep(0.01)
