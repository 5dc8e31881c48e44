"""Settings as operators write them: environment variables, durations, comma lists."""

from datetime import timedelta

import pytest

from core.settings import Settings


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACTSYNC_API_KEYS", "key-one, key-two,")
    monkeypatch.setenv("POLL_AFTER", "30s")
    monkeypatch.setenv("CONTRACT_TTL", "P10D")
    monkeypatch.setenv("TERMINAL_GRACE", "12h")
    monkeypatch.setenv("MAX_WEBHOOK_BYTES", "2048")
    monkeypatch.setenv("WEBHOOK_ACK_TIMEOUT", "1500ms")
    monkeypatch.setenv("RELAY_MAX_BACKLOG", "0")
    settings = Settings()
    assert settings.api_keys == ["key-one", "key-two"]
    assert settings.poll_after == timedelta(seconds=30)
    assert settings.contract_ttl == timedelta(days=10)
    assert settings.terminal_grace == timedelta(hours=12)
    assert settings.max_webhook_bytes == 2048
    assert settings.webhook_ack_timeout == timedelta(milliseconds=1500)
    assert settings.relay_max_backlog == 0  # backpressure off


def test_a_negative_backlog_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_MAX_BACKLOG", "-1")
    with pytest.raises(ValueError, match="RELAY_MAX_BACKLOG"):
        Settings()


def test_production_refuses_to_start_without_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTRACTSYNC_API_KEYS", raising=False)
    monkeypatch.setenv("CONTRACTSYNC_ENV", "production")
    with pytest.raises(RuntimeError, match="CONTRACTSYNC_API_KEYS"):
        Settings().require_production_secrets()
    monkeypatch.setenv("CONTRACTSYNC_ENV", "dev")
    Settings().require_production_secrets()
