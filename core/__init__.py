"""Shared by the API and the worker: settings, database, canonical events, vendor adapters."""
