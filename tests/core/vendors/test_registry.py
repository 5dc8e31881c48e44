from core.vendors import ADAPTERS, adapter_for
from core.vendors.base import VendorAdapter


def test_every_vendor_is_registered_under_its_name() -> None:
    assert set(ADAPTERS) == {"vlens", "documenso", "fintechos", "signly"}
    for name, adapter in ADAPTERS.items():
        assert isinstance(adapter, VendorAdapter)
        assert adapter.name == name
        assert adapter_for(name) is adapter


def test_unknown_vendor_has_no_adapter() -> None:
    assert adapter_for("docusign") is None
    assert adapter_for("") is None
