"""Record a ContractLifecycle history for the replay test.

Run `python -m tests.workflows.record_history` after a deliberate, versioned change to the
workflow (use `workflow.patched` for running contracts) and commit the new file beside the old
ones: every history kept there must still replay.
"""

import asyncio
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.db import open_database
from core.settings import Settings
from core.transactions import Transactions
from tests.support import binary, make_event, register_search_attributes
from worker import Deps, build_worker, outbound_http
from workflows.client import lifecycle_config, signal_with_start

HISTORIES = Path(__file__).parent / "histories"


async def record(name: str) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            CONTRACTSYNC_ENV="test",
            DATABASE_URL=f"sqlite:///{scratch}/history.db",
            TEMPORAL_TASK_QUEUE="history",
        )
        async with (
            open_database(settings.database_url) as sessions,
            outbound_http() as http,
        ):
            transactions = Transactions.of(sessions)
            async with build_worker(env.client, Deps(settings, sessions, transactions, http)):
                external = f"history-{uuid.uuid4().hex[:6]}"
                base = datetime(2026, 1, 1, tzinfo=UTC)
                statuses = ["CREATED", "SENT", "VIEWED", "SIGNED", "COUNTERSIGNED"]
                events = [
                    make_event(external, status, key=status, at=base + timedelta(hours=i))
                    for i, status in enumerate(statuses)
                ]
                config = lifecycle_config(settings)
                handle = None
                for event in [events[2], events[0], events[2], events[1], events[3]]:
                    handle = await signal_with_start(env.client, "history", event, config)
                assert handle is not None
                await handle.signal("event", {"not": "an event"})
                await handle.signal("event", make_event(external, "MYSTERY", key="mystery"))
                await handle.signal("event", events[4])
                await handle.result()  # the grace period passes in skipped time
                history = await handle.fetch_history()
            await transactions.close()
    await env.shutdown()
    HISTORIES.mkdir(exist_ok=True)
    path = HISTORIES / f"{name}.json"
    path.write_text(history.to_json())
    return path


if __name__ == "__main__":
    print(asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else "contract_lifecycle")))
