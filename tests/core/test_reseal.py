"""`contractsync reseal` on a database of its own: credentials stored plain are sealed, a
rotated key takes over, and a value no key opens leaves every row as it was."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.db import open_database
from core.models import Subscription
from core.reseal import reseal_subscriptions
from core.sealing import PREFIX, Sealer, SealError, new_key
from core.settings import Settings, get_settings
from tests.outbound import Subscriptions

HEADERS = {"Authorization": "Bearer s3cret-value", "X-Tenant": "acme"}


def settings_for(url: str, *keys: str) -> Settings:
    values = {"CONTRACTSYNC_ENV": "test", "DATABASE_URL": url, "SECRETS_KEYS": ",".join(keys)}
    return Settings(**values)  # type: ignore[arg-type]


async def test_reseal_seals_plain_credentials_then_moves_them_to_a_new_key(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'reseal.db'}"
    async with open_database(url) as sessions:
        subscriptions = Subscriptions(sessions)
        plain = await subscriptions.add("https://hooks.example.com/a", custom_headers=HEADERS)

        async def stored() -> Subscription:
            return await subscriptions.get(plain.webhook_id)

        old, new = new_key(), new_key()
        assert await reseal_subscriptions(settings_for(url, old)) == 1
        sealed = await stored()
        assert sealed.secret.startswith(PREFIX)
        assert sealed.custom_headers["Authorization"].startswith(PREFIX)
        assert sealed.custom_headers["X-Tenant"] == "acme"
        assert Sealer([old]).open(sealed.secret) == plain.secret

        assert await reseal_subscriptions(settings_for(url, new, old)) == 1
        rotated = await stored()
        assert Sealer([new]).open(rotated.secret) == plain.secret
        assert Sealer([new]).open_headers(rotated.custom_headers) == HEADERS

        with pytest.raises(SealError):  # the new key is gone: nothing opens, nothing changes
            await reseal_subscriptions(settings_for(url, new_key()))
        assert (await stored()).secret == rotated.secret

        with pytest.raises(SealError):
            await reseal_subscriptions(settings_for(url))


def test_the_command_says_what_it_did_and_fails_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONTRACTSYNC_ENV", "test")
    for keys, code, said in [("", 1, "SECRETS_KEYS is not set"), (new_key(), 0, "of 0 sub")]:
        monkeypatch.setenv("SECRETS_KEYS", keys)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["reseal"])
        assert result.exit_code == code
        assert said in result.output
    get_settings.cache_clear()
