"""Everything one scenario runs against: a whole stack as separate processes (Temporal, a
worker, an API) on its own database, and, in this process, a subscriber sink subscribed to
every event and a CRM stub behind a switch that makes it flaky."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tools.chaos.database import Database, scenario_database
from tools.chaos.flaky import Flaky
from tools.crm_stub import CrmStub
from tools.serve import serve
from tools.simulators import Scenario, Secrets, Simulation, generate
from tools.stack import SECRETS, Stack
from tools.subscriber_sink import SubscriberSink

SINK_PATH = "/chaos"
CRM_TOKEN = "chaos-crm-token"  # noqa: S105  (the stub's own test token)
DUPLICATES = 0.2  # share of events a vendor sends twice
# Shorter than the defaults only so that a run fits its time budget; the mechanisms are the
# same. The lease is how long a hand-off Temporal never confirmed waits before the sweep
# sends it again.
SERVICE_ENV = {"RELAY_LEASE": "10s", "RELAY_INTERVAL": "1s"}
SUBSCRIBER_TIMEOUT_MS = 5000

VENDOR_SECRETS = Secrets(
    vlens=SECRETS["VLENS_WEBHOOK_TOKEN"],
    documenso=SECRETS["DOCUMENSO_WEBHOOK_SECRET"],
    fintechos=SECRETS["FINTECHOS_WEBHOOK_TOKEN"],
    signly=SECRETS["SIGNLY_WEBHOOK_TOKEN"],
)


@dataclass
class World:
    stack: Stack
    database: Database
    sink: SubscriberSink
    webhook_id: str
    crm: CrmStub
    crm_faults: Flaky
    simulation: Simulation

    @property
    def api_url(self) -> str:
        return self.stack.api_url()


@asynccontextmanager
async def open_world(
    data_dir: Path, server_url: str | None, contracts: int, seed: int
) -> AsyncIterator[World]:
    """`server_url`: a PostgreSQL DATABASE_URL, or None for SQLite in `data_dir`."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    sink = SubscriberSink()
    crm = CrmStub(token=CRM_TOKEN)
    crm_faults = Flaky(crm.app, seed)
    async with (
        scenario_database(server_url, data_dir) as database,
        serve(sink.app) as sink_url,
        serve(crm_faults) as crm_url,
    ):
        env = SERVICE_ENV | {"CRM_BASE_URL": crm_url, "CRM_API_TOKEN": CRM_TOKEN}
        stack = Stack(data_dir, database_url=database.url, extra_env=env)
        try:
            await asyncio.to_thread(_start, stack)
            webhook_id, secret = await _subscribe(stack, sink_url + SINK_PATH)
            sink.endpoint(SINK_PATH, secret)
            scenario = Scenario(
                contracts=contracts,
                seed=seed,
                duplicates=DUPLICATES,
                shuffle=True,
                webhook_base_url=stack.api_url(),
            )
            yield World(stack, database, sink, webhook_id, crm, crm_faults, generate(scenario))
        finally:
            # In a thread: the sink and the CRM keep answering while the worker shuts down.
            await asyncio.to_thread(stack.stop)


def _start(stack: Stack) -> None:
    stack.start_temporal()
    stack.start_worker()
    stack.start_api()


async def _subscribe(stack: Stack, url: str) -> tuple[str, str]:
    """A subscription to every event type, made the way a customer makes one."""
    async with stack.client() as api:
        response = await api.post(
            "/v1/webhooks",
            json={
                "url": url,
                "events": ["*"],
                "description": "chaos: every event",
                "timeout_ms": SUBSCRIBER_TIMEOUT_MS,
            },
        )
    response.raise_for_status()
    created = response.json()
    return str(created["webhook_id"]), str(created["secret"])
