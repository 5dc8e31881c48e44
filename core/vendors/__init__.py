"""Vendor adapters: one module per vendor, registered here by name.

Adding a vendor is one module and one entry in `_ADAPTERS`.
"""

from core.vendors.base import VendorAdapter
from core.vendors.documenso import DocumensoAdapter
from core.vendors.fintechos import FintechosAdapter
from core.vendors.signly import SignlyAdapter
from core.vendors.vlens import VlensAdapter

_ADAPTERS: tuple[VendorAdapter, ...] = (
    VlensAdapter(),
    DocumensoAdapter(),
    FintechosAdapter(),
    SignlyAdapter(),
)
ADAPTERS: dict[str, VendorAdapter] = {adapter.name: adapter for adapter in _ADAPTERS}


def adapter_for(name: str) -> VendorAdapter | None:
    return ADAPTERS.get(name)


__all__ = ["ADAPTERS", "VendorAdapter", "adapter_for"]
