"""Temporal workflows: the per-contract lifecycle entity."""
