"""What `contractsync simulate` calls: settings in, the summary table out."""

from pydantic import SecretStr

from core.settings import Settings
from tools.simulators.sender import Secrets
from tools.simulators.summary import simulate


def secrets_from(settings: Settings) -> Secrets:
    """Present the secrets the target is configured with, as each vendor would."""
    return Secrets(
        vlens=plain(settings.vlens_webhook_token),
        documenso=plain(settings.documenso_webhook_secret),
        fintechos=plain(settings.fintechos_webhook_token),
        signly=plain(settings.signly_webhook_token),
        signly_header=settings.signly_webhook_header,
    )


async def run_simulation(
    settings: Settings,
    vendor: str | None,
    contracts: int,
    target: str,
    duplicates: float,
    shuffle: bool,
    drop: float,
    seed: int,
) -> str:
    summary = await simulate(
        vendor, contracts, target, duplicates, shuffle, drop, seed, secrets_from(settings)
    )
    return summary.render()


def plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
