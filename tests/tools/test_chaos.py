"""The fault suite's machinery on a toy burst, so that `contractsync chaos` cannot rot: a whole
stack of processes, vendor traffic, a fault, and every check, in seconds. Always on SQLite: the
suite's PostgreSQL variant stops the cluster, which a shared test server must never see."""

from pathlib import Path

import pytest

from tools.chaos.cli import run_scenarios
from tools.chaos.run import Options
from tools.chaos.scenarios import Timings

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("scenario", ["database-outage", "api-kill"])
async def test_a_toy_burst_through_a_fault_loses_nothing(tmp_path: Path, scenario: str) -> None:
    lines: list[str] = []
    options = Options(
        data_dir=tmp_path,
        contracts=1,
        settle_timeout=60,
        timings=Timings(database_down=1.0, api_down=1.0),
    )

    [outcome] = await run_scenarios([scenario], options, echo=lines.append)

    assert outcome.passed, "\n".join(lines)
    assert outcome.sent == outcome.acked > 0
    assert outcome.applied > 0
    assert (outcome.lost, outcome.duplicates) == (0, 0)
    assert lines[0].startswith(f"PASS  {scenario}")


async def test_an_unknown_scenario_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        await run_scenarios(["meteor-strike"], Options(data_dir=tmp_path))
