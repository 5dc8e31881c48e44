"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the file parses, every
image is pinned, secrets have no defaults, and the API and worker get every setting they need,
interpolated the way Compose does, and accepted by the app's own Settings."""

import base64
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from core.settings import Settings
from core.temporal import SEARCH_ATTRIBUTES

ROOT = Path(__file__).parent.parent
APP = ("api", "worker")
REQUIRED = (
    "CONTRACTSYNC_API_KEYS",
    "SECRETS_KEYS",
    "DATABASE_URL",
    "TEMPORAL_ADDRESS",
    "VLENS_WEBHOOK_TOKEN",
    "DOCUMENSO_WEBHOOK_SECRET",
    "FINTECHOS_WEBHOOK_TOKEN",
    "SIGNLY_WEBHOOK_TOKEN",
)
SECRET_NAME = re.compile(r"PASSWORD|PWD|SECRET|TOKEN|API_KEYS?$")
# What an operator puts in .env (all URL-safe, as the README asks of the password).
OPERATOR_ENV = {
    "POSTGRES_PASSWORD": "pg-secret",
    "CONTRACTSYNC_API_KEYS": "key-1,key-2",
    "SECRETS_KEYS": base64.urlsafe_b64encode(b"k" * 32).decode(),
    "VLENS_WEBHOOK_TOKEN": "v",
    "DOCUMENSO_WEBHOOK_SECRET": "d",
    "FINTECHOS_WEBHOOK_TOKEN": "f",
    "SIGNLY_WEBHOOK_TOKEN": "s",
}
VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's rules for the forms this file uses: $$, ${X}, ${X:-default}, ${X:?error}."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        if env.get(name):
            return env[name]
        if op == ":?":
            raise MissingVariable(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return VARIABLE.sub(one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def environment(service: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    """The container's environment: unset pass-throughs (`NAME:` with no value) stay unset."""
    resolved: dict[str, str] = {}
    for name, value in service.get("environment", {}).items():
        if value is not None:
            resolved[name] = interpolate(str(value), env)
        elif name in env:
            resolved[name] = env[name]
    return resolved


def test_every_service_image_is_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service.get("image")
        assert image or service.get("build"), name
        if image and not service.get("build"):
            _, _, tag = image.rpartition("/")[2].partition(":")
            assert tag not in ("", "latest"), f"{name}: {image} is not pinned"
    dockerfile = (ROOT / "Dockerfile").read_text()
    for base in re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE):
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", base), base
        assert not base.endswith(":latest"), base


def test_api_and_worker_share_one_image_and_run_their_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["api"]["build"] == services["worker"]["build"]
    assert services["api"]["build"]["dockerfile"] == "Dockerfile"
    assert services["api"]["command"] == ["contractsync", "api"]
    assert services["worker"]["command"] == ["contractsync", "worker"]
    assert 'CMD ["contractsync", "api"]' in (ROOT / "Dockerfile").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env", "tests"} <= set(ignored)


@pytest.mark.parametrize("name", APP)
def test_app_services_get_every_required_setting(compose: dict[str, Any], name: str) -> None:
    env = environment(compose["services"][name], OPERATOR_ENV)
    assert set(REQUIRED) <= set(env)
    settings = Settings(_env_file=None, **env)  # type: ignore[arg-type]
    settings.require_production_secrets()
    assert settings.env == "production"
    assert settings.log_format == "json"
    assert settings.api_keys == ["key-1", "key-2"]
    assert settings.database_url.startswith("postgresql://contractsync:pg-secret@postgresql:5432/")
    for secret in ("vlens_webhook_token", "documenso_webhook_secret", "fintechos_webhook_token"):
        assert getattr(settings, secret).get_secret_value()
    assert settings.crm_base_url is None  # optional settings stay unset unless given
    host, _, port = settings.temporal_address.partition(":")
    assert host in compose["services"]
    assert int(port) == 7233


def test_secrets_have_no_defaults(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for variable, value in service.get("environment", {}).items():
            if SECRET_NAME.search(variable) and value is not None:
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", str(value)), f"{name}.{variable}"
    for missing in OPERATOR_ENV:
        env = {key: value for key, value in OPERATOR_ENV.items() if key != missing}
        for name in APP:
            with pytest.raises(MissingVariable, match=missing):
                environment(compose["services"][name], env)


def test_ports_match_the_settings_defaults(compose: dict[str, Any]) -> None:
    services = compose["services"]
    defaults = Settings(_env_file=None)
    assert services["api"]["ports"] == [f"{defaults.api_port}:{defaults.api_port}"]
    assert environment(services["api"], OPERATOR_ENV)["API_HOST"] == "0.0.0.0"  # noqa: S104
    temporal_port = defaults.temporal_address.rpartition(":")[2]
    assert services["temporal"]["ports"] == [f"{temporal_port}:7233"]
    ui_port = urlsplit(defaults.temporal_ui_url).port
    assert services["temporal-ui"]["ports"] == [f"{ui_port}:8080"]
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_health_checks_and_start_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgresql", "temporal", "api", "worker"):
        assert services[name]["healthcheck"]["test"], name
    for name in APP:
        assert services[name]["depends_on"]["temporal-setup"] == {
            "condition": "service_completed_successfully"
        }
    assert services["temporal"]["depends_on"]["temporal-schema"]["condition"] == (
        "service_completed_successfully"
    )
    worker_env = environment(services["worker"], OPERATOR_ENV)
    assert worker_env["WORKER_METRICS_ADDRESS"].endswith(":9464")


def test_search_attributes_are_registered_before_the_app_starts(compose: dict[str, Any]) -> None:
    setup = compose["services"]["temporal-setup"]
    assert setup["image"].startswith("temporalio/admin-tools:")
    script = interpolate(setup["command"][0], OPERATOR_ENV)
    for key in SEARCH_ATTRIBUTES:
        assert key.name in script
    assert "search-attribute create" in script
    assert "--type Keyword" in script
