"""`contractsync reseal`: every subscription's credentials sealed again under the first of
`SECRETS_KEYS`, once a key is added (the credentials stored before are sealed) or rotated (what
an older key sealed moves to the new one, and the old key can then be dropped)."""

import functools

from sqlalchemy import Connection, select, update

from core.db import open_database
from core.models import SUBSCRIPTIONS
from core.sealing import Sealer, SealError
from core.settings import Settings
from core.transactions import Transactions


async def reseal_subscriptions(settings: Settings) -> int:
    """How many subscriptions were resealed; raises SealError when a value cannot be opened."""
    sealer = settings.sealer()
    if not sealer.enabled:
        raise SealError("SECRETS_KEYS is not set: there is no key to seal with")
    async with open_database(settings.database_url) as sessions:
        transactions = Transactions.of(sessions)
        try:
            return await transactions.run(functools.partial(_reseal, sealer))
        finally:
            await transactions.close()


def _reseal(sealer: Sealer, connection: Connection) -> int:
    """One transaction: a value that no key opens leaves every row as it was."""
    rows = connection.execute(
        select(SUBSCRIPTIONS.c.webhook_id, SUBSCRIPTIONS.c.secret, SUBSCRIPTIONS.c.custom_headers)
    ).all()
    for row in rows:
        connection.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.webhook_id == row.webhook_id)
            .values(
                secret=sealer.reseal(row.secret),
                custom_headers=sealer.reseal_headers(row.custom_headers),
            )
        )
    return len(rows)
