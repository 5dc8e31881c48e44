"""The `contractsync` command: dev stack, API, worker, migrations, vendor simulation."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings

app = typer.Typer(help="ContractSync: contract lifecycles in sync across e-signature vendors.")


@app.command()
def dev(
    data_dir: Annotated[Path, typer.Option(help="where Temporal and SQLite keep state")] = Path(
        ".data"
    ),
    temporal_port: int = 7233,
    ui_port: int = 8233,
) -> None:
    """Start Temporal (dev server + UI), the worker and the API; Ctrl-C stops all of them."""
    from core.devstack import run_dev

    raise typer.Exit(run_dev(get_settings(), data_dir.resolve(), temporal_port, ui_port))


@app.command()
def api() -> None:
    """Run the API (uvicorn) against an existing Temporal (TEMPORAL_ADDRESS)."""
    import uvicorn

    from api.main import create_app
    from core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through our handler (JSON in production)
        access_log=False,
    )


@app.command()
def worker() -> None:
    """Run a worker against an existing Temporal (TEMPORAL_ADDRESS)."""
    import worker as worker_process

    worker_process.main()


@app.command()
def migrate() -> None:
    """Apply database migrations (the API and worker also do it on start)."""
    from core.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is at the latest revision")


@app.command()
def simulate(
    vendor: Annotated[str | None, typer.Option(help="one vendor; all four when omitted")] = None,
    contracts: int = 10,
    target: str = "http://127.0.0.1:8000",
    duplicates: float = 0.3,
    shuffle: bool = True,
    drop: float = 0.0,
    seed: int = 1,
) -> None:
    """Drive a running stack with realistic vendor webhooks and print a summary."""
    from tools.simulators.cli import run_simulation

    typer.echo(
        asyncio.run(
            run_simulation(
                get_settings(), vendor, contracts, target, duplicates, shuffle, drop, seed
            )
        )
    )


if __name__ == "__main__":
    app()
