"""Subscription credentials sealed at rest: the signing secret, and the value of every custom
header that carries a credential.

A database dump, a backup or a read replica alone then cannot forge a webhook to a subscriber
or borrow its credentials. The keys (`SECRETS_KEYS`, Fernet keys, comma-separated) live only in
the environment of the API and the worker: the first seals, every one of them opens, so a key
is rotated by putting the new one first and running `contractsync reseal`. Without keys, values
are stored as given, as before; a sealed value found without its key is an error, never sent.
"""

import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "sealed:v1:"

# A custom header whose name says it carries a credential: never shown again once stored, and
# sealed at rest.
ALWAYS_SECRET = frozenset({"authorization", "proxy-authorization", "cookie"})
SECRET_WORDS = re.compile(r"auth|key|token|secret|password|signature|session|credential")


class SealError(Exception):
    """A sealed value that no configured key opens (or no key at all)."""


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in ALWAYS_SECRET or SECRET_WORDS.search(lowered) is not None


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def new_key() -> str:
    return Fernet.generate_key().decode()


class Sealer:
    def __init__(self, keys: Sequence[str]) -> None:
        """Raises ValueError for a key that is not a Fernet key."""
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys]) if keys else None

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def seal(self, text: str) -> str:
        """Under the first key; unchanged without keys, or when already sealed."""
        if self._fernet is None or is_sealed(text):
            return text
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored
        if self._fernet is None:
            raise SealError("a sealed value was found, and SECRETS_KEYS is not set")
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken as error:
            raise SealError("no key in SECRETS_KEYS opens a sealed value") from error

    def reseal(self, stored: str) -> str:
        """Under the first key, whatever it was sealed with (or stored plain)."""
        return self.seal(self.open(stored))

    def seal_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {
            name: self.seal(value) if is_secret_header(name) else value
            for name, value in headers.items()
        }

    def open_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {name: self.open(value) for name, value in headers.items()}

    def reseal_headers(self, headers: dict[str, str]) -> dict[str, str]:
        return self.seal_headers(self.open_headers(headers))
