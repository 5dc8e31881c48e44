"""Temporal client and the names both processes share (task queue, search attributes)."""

from collections.abc import Sequence

from temporalio.client import Client, Interceptor
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from core.settings import Settings

CONTRACT_STATUS = SearchAttributeKey.for_keyword("ContractStatus")
CONTRACT_VENDOR = SearchAttributeKey.for_keyword("ContractVendor")
CONTRACT_EXTERNAL_ID = SearchAttributeKey.for_keyword("ContractExternalId")
SEARCH_ATTRIBUTES = (CONTRACT_STATUS, CONTRACT_VENDOR, CONTRACT_EXTERNAL_ID)


async def connect(
    settings: Settings,
    lazy: bool = False,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """One client per process. `lazy` lets the API start (and ack webhooks) without Temporal.

    `runtime` carries the worker's metrics exporter; `interceptors` the tracing interceptor (a
    worker built on this client inherits it, so one place wires both sides).
    """
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=api_key,
        tls=TLSConfig() if settings.temporal_tls else False,
        data_converter=pydantic_data_converter,
        lazy=lazy,
        runtime=runtime,
        interceptors=interceptors,
    )
