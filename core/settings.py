"""Typed settings, read once from the environment (names fixed by the public API contract)."""

from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.durations import Duration
from core.sealing import Sealer


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    env: Literal["dev", "test", "production"] = Field("production", alias="CONTRACTSYNC_ENV")
    database_url: str = Field("sqlite:///.data/contractsync.db", alias="DATABASE_URL")

    temporal_address: str = Field("localhost:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", alias="TEMPORAL_NAMESPACE")
    temporal_task_queue: str = Field("contracts", alias="TEMPORAL_TASK_QUEUE")
    temporal_api_key: SecretStr | None = Field(None, alias="TEMPORAL_API_KEY")
    temporal_tls: bool = Field(False, alias="TEMPORAL_TLS")
    temporal_ui_url: str = Field("http://localhost:8233", alias="TEMPORAL_UI_URL")
    worker_max_cached_workflows: int = Field(1000, alias="WORKER_MAX_CACHED_WORKFLOWS")

    # comma-separated in the environment (NoDecode: not parsed as JSON)
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="CONTRACTSYNC_API_KEYS"
    )
    # Fernet keys that seal subscription credentials at rest, comma-separated: the first seals,
    # every one opens (core.sealing). Unset: stored as given.
    secrets_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, alias="SECRETS_KEYS"
    )
    max_webhook_bytes: int = Field(1024 * 1024, alias="MAX_WEBHOOK_BYTES")
    # The longest a webhook waits for its commit before the vendor is told 503 (retry later):
    # under the shortest vendor timeout (Signly's default is 5 s).
    webhook_ack_timeout: Duration = Field(timedelta(seconds=3), alias="WEBHOOK_ACK_TIMEOUT")
    allow_private_targets: bool = Field(False, alias="ALLOW_PRIVATE_TARGETS")

    vlens_webhook_token: SecretStr | None = Field(None, alias="VLENS_WEBHOOK_TOKEN")
    documenso_webhook_secret: SecretStr | None = Field(None, alias="DOCUMENSO_WEBHOOK_SECRET")
    fintechos_webhook_token: SecretStr | None = Field(None, alias="FINTECHOS_WEBHOOK_TOKEN")
    signly_webhook_header: str = Field("X-Client-Auth", alias="SIGNLY_WEBHOOK_HEADER")
    signly_webhook_token: SecretStr | None = Field(None, alias="SIGNLY_WEBHOOK_TOKEN")

    vlens_api_url: str | None = Field(None, alias="VLENS_API_URL")
    vlens_api_key: SecretStr | None = Field(None, alias="VLENS_API_KEY")
    documenso_api_url: str | None = Field(None, alias="DOCUMENSO_API_URL")
    documenso_api_key: SecretStr | None = Field(None, alias="DOCUMENSO_API_KEY")
    signly_api_url: str | None = Field(None, alias="SIGNLY_API_URL")
    signly_tenant_id: str | None = Field(None, alias="SIGNLY_TENANT_ID")
    signly_api_key: SecretStr | None = Field(None, alias="SIGNLY_API_KEY")
    fintechos_api_url: str | None = Field(None, alias="FINTECHOS_API_URL")
    fintechos_api_key: SecretStr | None = Field(None, alias="FINTECHOS_API_KEY")

    crm_base_url: str | None = Field(None, alias="CRM_BASE_URL")
    crm_api_token: SecretStr | None = Field(None, alias="CRM_API_TOKEN")

    poll_after: Duration = Field(timedelta(minutes=15), alias="POLL_AFTER")
    poll_max: Duration = Field(timedelta(hours=6), alias="POLL_MAX")
    contract_ttl: Duration = Field(timedelta(days=30), alias="CONTRACT_TTL")
    terminal_grace: Duration = Field(timedelta(days=7), alias="TERMINAL_GRACE")

    relay_interval: Duration = Field(timedelta(seconds=2), alias="RELAY_INTERVAL")
    relay_lease: Duration = Field(timedelta(seconds=30), alias="RELAY_LEASE")
    relay_concurrency: int = Field(32, alias="RELAY_CONCURRENCY")
    # Workflow tasks waiting in Temporal above which the relay holds its hand-offs; 0: never.
    relay_max_backlog: int = Field(500, ge=0, alias="RELAY_MAX_BACKLOG")
    subscription_disable_after: Duration = Field(
        timedelta(days=5), alias="SUBSCRIPTION_DISABLE_AFTER"
    )

    api_host: str = Field("127.0.0.1", alias="API_HOST")
    api_port: int = Field(8000, alias="API_PORT")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    # Unset: JSON outside dev mode, text in dev mode (see core.logging).
    log_format: Literal["json", "text"] | None = Field(None, alias="LOG_FORMAT")
    # host:port for the worker's Prometheus endpoint (Temporal SDK metrics); unset: off.
    worker_metrics_address: str | None = Field(None, alias="WORKER_METRICS_ADDRESS")
    # The standard OpenTelemetry variables; tracing is off unless one of them is set.
    otel_exporter_otlp_endpoint: str | None = Field(None, alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    otel_traces_exporter: str | None = Field(None, alias="OTEL_TRACES_EXPORTER")
    otel_service_name: str | None = Field(None, alias="OTEL_SERVICE_NAME")

    @field_validator("api_keys", "secrets_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("secrets_keys")
    @classmethod
    def _fernet_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        _sealer(tuple(key.get_secret_value() for key in value))  # refuses a key that is not one
        return value

    def sealer(self) -> Sealer:
        return _sealer(tuple(key.get_secret_value() for key in self.secrets_keys))

    @property
    def dev_mode(self) -> bool:
        return self.env == "dev"

    def require_production_secrets(self) -> None:
        """Fail fast: outside dev mode the contracts API is never left open."""
        if not self.dev_mode and not self.api_keys:
            raise RuntimeError(
                "CONTRACTSYNC_API_KEYS is empty; set it, or run with CONTRACTSYNC_ENV=dev"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache(maxsize=8)
def _sealer(keys: tuple[str, ...]) -> Sealer:
    return Sealer(keys)
