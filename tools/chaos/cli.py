"""What `contractsync chaos` calls: run the chosen scenarios one after another, print a line
for each as it ends, and return the exit status (1 if any failed)."""

import asyncio
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from tools.chaos.database import is_postgres
from tools.chaos.report import Outcome, markdown_table
from tools.chaos.run import Options, run_fault, run_fuzz_stage
from tools.chaos.scenarios import FAULTS

FUZZ = "fuzz"
SCENARIOS = (*(fault.name for fault in FAULTS), FUZZ)


async def run_scenarios(
    names: Sequence[str],
    options: Options,
    echo: Callable[[str], None] = print,
    verbose: bool = False,
) -> list[Outcome]:
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
    outcomes = []
    for index, name in enumerate(names):
        try:
            if name == FUZZ:
                outcome = await run_fuzz_stage(options, index)
            else:
                fault = next(fault for fault in FAULTS if fault.name == name)
                outcome = await run_fault(fault, options, index)
        except Exception as error:  # noqa: BLE001  (a broken scenario is a failed one; go on)
            where = traceback.extract_tb(error.__traceback__)[-1]
            outcome = Outcome(
                name,
                False,
                0.0,
                note=f"could not run: {error!r} at {where.filename}:{where.lineno}",
                details=tuple(traceback.format_exception(error)),
            )
        outcomes.append(outcome)
        echo(outcome.line())
        if verbose or not outcome.passed:
            for detail in outcome.details:
                echo(f"      {detail}")
    return outcomes


def run_chaos(
    scenarios: Sequence[str] = SCENARIOS,
    *,
    contracts: int = 24,
    seed: int = 1,
    database_url: str | None = None,
    data_dir: Path | None = None,
    fuzz_examples: int = 3000,
    verbose: bool = False,
    markdown: bool = False,
) -> int:
    """Runs in a directory of its own, removed afterwards unless something failed."""
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        print(f"chaos: unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
        return 2
    root = data_dir or Path(tempfile.mkdtemp(prefix="contractsync-chaos-"))
    options = Options(
        data_dir=root.resolve(),
        database_url=database_url if is_postgres(database_url) else None,
        contracts=contracts,
        seed=seed,
        fuzz_examples=fuzz_examples,
    )
    database = "PostgreSQL" if options.database_url else "SQLite"
    print(f"chaos: {', '.join(scenarios)} on {database}; {contracts} contracts per vendor")
    started = time.monotonic()
    outcomes = asyncio.run(run_scenarios(scenarios, options, verbose=verbose))
    took = f"in {time.monotonic() - started:.0f} s"
    failed = [outcome.name for outcome in outcomes if not outcome.passed]
    if markdown:
        print(markdown_table(outcomes))
    if failed:
        print(f"chaos: FAILED {', '.join(failed)} {took}; state and logs in {root}")
        return 1
    print(f"chaos: all {len(outcomes)} passed {took}")
    if data_dir is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0
