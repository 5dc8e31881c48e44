"""Several API processes sweep at once: each stored event is claimed by exactly one of them."""

import asyncio
import uuid
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from api.relay import Relay
from core.db import SessionFactory, open_database, utcnow
from core.events import ContractEvent
from core.models import StoredEvent
from core.transactions import Transactions
from tests.api.conftest import api_settings
from tests.support import stored_row


def stored(index: int) -> StoredEvent:
    event_id = f"evt_claim_{uuid.uuid4().hex}"
    event = ContractEvent(
        event_id=event_id,
        contract_id=f"vlens:claim-{index}",
        vendor="vlens",
        external_id=f"claim-{index}",
        dedup_key=event_id,
        status="SENT",
        received_at=utcnow() - timedelta(minutes=5),
    )
    return stored_row(event, lease_until=None)


def taken_from_queue(relay: Relay) -> list[str]:
    """The ids of the events a relay that was never started has queued, emptying its queue."""
    taken: list[str] = []
    while not relay._queue.empty():
        taken.append(relay._queue.get_nowait().event_id)
    return taken


async def test_concurrent_sweeps_never_claim_the_same_event(
    database_url: str, sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    settings = api_settings(database_url, dev_env.client.service_client.config.target_host)
    rows = [stored(index) for index in range(150)]
    async with sessions() as session:
        session.add_all(rows)
        await session.commit()
    mine = {row.event_id for row in rows}

    # three "processes": each its own engine and connection pool, sweeping at the same time
    async def one_replica() -> list[str]:
        async with open_database(database_url, migrate=False) as own:
            transactions = Transactions.of(own)
            relay = Relay(settings, transactions, dev_env.client)  # not started: claims queued
            for _ in range(3):
                await relay.sweep()
            claimed = taken_from_queue(relay)  # what this replica claimed
            await transactions.close()
            return [event_id for event_id in claimed if event_id in mine]

    results = await asyncio.gather(*(one_replica() for _ in range(3)))
    everything = [event_id for claims in results for event_id in claims]
    assert sorted(everything) == sorted(mine)  # all claimed, none twice
    assert len(set(everything)) == len(everything)


async def test_an_event_queued_here_is_not_queued_twice_when_claimed_again(
    database_url: str, sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    """Its lease ran out while it waited in a long queue: the sweep claims it again (and
    renews the lease) but the relay keeps the one copy it has, so it is signalled once."""
    settings = api_settings(database_url, dev_env.client.service_client.config.target_host)
    row = stored(0)
    row.received_at -= timedelta(days=1)  # the first the sweep claims
    async with sessions() as session:
        session.add(row)
        await session.commit()
    async with open_database(database_url, migrate=False) as own:
        transactions = Transactions.of(own)
        relay = Relay(settings, transactions, dev_env.client)  # not started: nothing leaves
        relay.submit(ContractEvent.model_validate(row.payload))
        relay.submit(ContractEvent.model_validate(row.payload))  # the ingress never does; same
        await relay.sweep()
        queued = taken_from_queue(relay)
        await transactions.close()
    assert queued.count(row.event_id) == 1
    async with sessions() as session:
        claimed = await session.get(StoredEvent, row.event_id)
        assert claimed is not None
        assert claimed.lease_until is not None  # the sweep did claim it
