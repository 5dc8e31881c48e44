"""Vendor adapters: one module per vendor, registered here by name."""
