"""The `contractsync` command: dev stack, API, worker, migrations, vendor simulation."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from core.settings import get_settings
from tools.bench.config import BenchConfig

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
    from core.heap import freeze_startup_heap
    from core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings)
    app = create_app(settings)
    freeze_startup_heap()
    uvicorn.run(
        app,
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
def reseal() -> None:
    """Seal every subscription's credentials under the first of SECRETS_KEYS (after adding or
    rotating a key); exits 1, changing nothing, if a stored value cannot be opened."""
    from core.reseal import reseal_subscriptions
    from core.sealing import SealError

    try:
        count = asyncio.run(reseal_subscriptions(get_settings()))
    except SealError as error:
        typer.echo(f"reseal: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"resealed the credentials of {count} subscriptions")


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


@app.command()
def bench(
    runs: Annotated[int, typer.Option(help="runs per figure; the table shows medians")] = 3,
    sections: Annotated[
        str, typer.Option(help="comma-separated: ingress, pipeline, e2e, scale")
    ] = "ingress,pipeline,e2e,scale",
    scale_contracts: Annotated[
        int, typer.Option(help="open contracts in section 4")
    ] = BenchConfig.scale_contracts,
    scale_rate: Annotated[
        float, typer.Option(help="contracts created per second in section 4")
    ] = BenchConfig.scale_rate,
    scale_observe: Annotated[
        float, typer.Option(help="seconds watched once every contract exists")
    ] = BenchConfig.scale_observe,
    scale_poll_after: Annotated[
        str, typer.Option(help="POLL_AFTER in section 4")
    ] = BenchConfig.scale_poll_after,
    scale_poll_max: Annotated[
        str, typer.Option(help="POLL_MAX in section 4")
    ] = BenchConfig.scale_poll_max,
    database_url: Annotated[
        str | None,
        typer.Option(envvar="DATABASE_URL", help="PostgreSQL server (a database per stack)"),
    ] = None,
    output: Annotated[Path, typer.Option(help="the doc whose results block is rewritten")] = Path(
        "docs/benchmarks.md"
    ),
    write: Annotated[bool, typer.Option(help="rewrite the doc (never with --toy)")] = True,
    workdir: Path = Path(".data/bench"),
    profile: Annotated[bool, typer.Option(help="py-spy the API and worker in extra runs")] = True,
    toy: Annotated[bool, typer.Option(help="seconds, not minutes: proves it runs")] = False,
) -> None:
    """Benchmark real stacks (ingress, end to end, pipeline, scale) and print the table."""
    import sys

    from tools.bench.cli import run_bench

    config = BenchConfig(
        workdir.resolve(),
        database_url,
        runs=runs,
        sections=tuple(s.strip() for s in sections.split(",") if s.strip()),
        scale_contracts=scale_contracts,
        scale_rate=scale_rate,
        scale_observe=scale_observe,
        scale_poll_after=scale_poll_after,
        scale_poll_max=scale_poll_max,
        profile=profile,
    )
    command = " ".join(["contractsync", *sys.argv[1:]])
    doc = output if write and not toy else None
    typer.echo(run_bench(config.toy() if toy else config, command, doc))


@app.command()
def chaos(
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            help="worker-kill, api-kill, temporal-restart, database-outage, subscriber-down, "
            "crm-flaky, fuzz; repeat for several; all when omitted",
        ),
    ] = None,
    contracts: Annotated[int, typer.Option(help="contracts per vendor in each burst")] = 24,
    seed: int = 1,
    fuzz_examples: Annotated[int, typer.Option(help="requests Hypothesis draws")] = 3000,
    database_url: Annotated[
        str | None,
        typer.Option(
            envvar="DATABASE_URL",
            help="PostgreSQL server: a database per scenario; its cluster is stopped for 10 s",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="keep each scenario's state and logs here")
    ] = None,
    verbose: Annotated[bool, typer.Option(help="what happened, for passes too")] = False,
    markdown: Annotated[bool, typer.Option(help="also print the results as a table")] = False,
) -> None:
    """Fault suite: vendor bursts while a worker, Temporal, the database, a subscriber or the
    CRM fails, then a fuzz stage; exits 1 if anything was lost, applied twice or got a 5xx."""
    from tools.chaos.cli import SCENARIOS, run_chaos

    raise typer.Exit(
        run_chaos(
            scenario or SCENARIOS,
            contracts=contracts,
            seed=seed,
            database_url=database_url,
            data_dir=data_dir,
            fuzz_examples=fuzz_examples,
            verbose=verbose,
            markdown=markdown,
        )
    )


if __name__ == "__main__":
    app()
