from pydantic import SecretStr

from core.settings import Settings
from tests.tools.simulators.recorder import SIGNLY_HEADER, TOKENS, Recorder
from tools.serve import serve
from tools.simulators import Outcome, Secrets, VendorState, simulate
from tools.simulators.cli import run_simulation, secrets_from
from tools.simulators.summary import percentile

SECRETS = Secrets(
    vlens=TOKENS["vlens"],
    documenso=TOKENS["documenso"],
    fintechos=TOKENS["fintechos"],
    signly=TOKENS["signly"],
    signly_header=SIGNLY_HEADER,
)


async def test_simulate_sends_every_vendor_and_sums_up() -> None:
    recorder = Recorder()
    state = VendorState()

    async with serve(recorder.app()) as base_url:
        summary = await simulate(
            None,
            4,
            base_url,
            duplicates=0.5,
            shuffle=True,
            drop=0.1,
            seed=81,
            secrets=SECRETS,
            state=state,
        )

    assert [row.vendor for row in summary.vendors] == ["vlens", "documenso", "fintechos", "signly"]
    assert all(row.contracts == 4 for row in summary.vendors)
    total = summary.total
    assert total.sent == len(recorder.requests)
    assert total.sent == sum(row.sent for row in summary.vendors)
    assert total.acked == total.sent
    assert total.duplicates > 0
    assert total.dropped > 0
    assert (total.rejected, total.errors) == (0, 0)
    assert total.p50_ms is not None
    assert total.p99_ms is not None
    assert 0 < total.p50_ms <= total.p99_ms
    assert len(state.views("signly")) == 4  # the vendors know what was lost
    table = summary.render()
    assert "vendor" in table
    assert "p99 ms" in table
    for name in ("vlens", "documenso", "fintechos", "signly", "total"):
        assert name in table


async def test_one_vendor_and_its_refusals() -> None:
    recorder = Recorder()
    wrong = Secrets(vlens="not-the-token")

    async with serve(recorder.app()) as base_url:
        summary = await simulate(
            "vlens",
            2,
            base_url,
            0.0,
            False,
            0.0,
            seed=83,
            secrets=wrong,
            outcomes={Outcome.COMPLETED: 1.0},
        )

    (row,) = summary.vendors
    assert (row.vendor, row.sent, row.acked, row.rejected) == ("vlens", 10, 0, 10)
    assert (row.p50_ms, row.p99_ms) == (None, None)
    assert summary.rejected_by_status == {401: 10}
    assert "401: 10" in summary.render()
    assert " - " in summary.render()


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None


def test_secrets_come_from_the_targets_settings() -> None:
    settings = Settings(
        VLENS_WEBHOOK_TOKEN=SecretStr("v"),
        DOCUMENSO_WEBHOOK_SECRET=SecretStr("d"),
        FINTECHOS_WEBHOOK_TOKEN=None,
        SIGNLY_WEBHOOK_HEADER="X-Custom",
        SIGNLY_WEBHOOK_TOKEN=SecretStr("s"),
    )

    secrets = secrets_from(settings)

    assert secrets == Secrets(
        vlens="v", documenso="d", fintechos=None, signly="s", signly_header="X-Custom"
    )


async def test_the_cli_entry_point_renders_the_table() -> None:
    recorder = Recorder()
    settings = Settings(
        FINTECHOS_WEBHOOK_TOKEN=SecretStr(TOKENS["fintechos"]),
    )

    async with serve(recorder.app()) as base_url:
        table = await run_simulation(settings, "fintechos", 2, base_url, 0.0, False, 0.0, 1)

    assert table.splitlines()[0] == f"Simulated webhooks to {base_url} (seed 1)"
    assert "fintechos" in table
    assert all(r.query["token"] == TOKENS["fintechos"] for r in recorder.requests)
