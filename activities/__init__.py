"""Temporal activities: classes with injected dependencies, idempotent, retried by Temporal."""
