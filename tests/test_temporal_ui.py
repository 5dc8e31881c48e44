"""The Temporal UI, as an operator uses it: a contract is found by its search attributes, and
its page (the API's `temporal_ui_url`) shows vendor, external id and status.

A dev server of its own, with its Web UI, and a real headless Chromium.
"""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.db import SessionFactory
from core.events import ContractView
from core.settings import Settings
from core.temporal import SEARCH_ATTRIBUTES
from core.transactions import Transactions
from tests.browser import chromium
from tests.support import binary, make_event
from worker import Deps, build_worker
from workflows.client import lifecycle_config, signal_with_start

pytestmark = pytest.mark.e2e

VISIBLE = 20.0
FRAMES_TEXT = (
    "Array.from(document.querySelectorAll('iframe'))"
    ".map(f => f.contentDocument ? f.contentDocument.body.innerText : '').join('\\n')"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest_asyncio.fixture(scope="module")
async def ui_env() -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    ui_port = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=list(SEARCH_ATTRIBUTES),
        dev_server_log_level="error",
        ui=True,
        ui_port=ui_port,
    )
    try:
        yield env, f"http://127.0.0.1:{ui_port}"
    finally:
        await env.shutdown()


@pytest_asyncio.fixture
async def countersigned(
    ui_env: tuple[WorkflowEnvironment, str],
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> AsyncIterator[ContractView]:
    """A vlens contract taken to COUNTERSIGNED through its workflow (worker kept running for
    queries), visible to list queries."""
    env, ui = ui_env
    settings = settings.model_copy(update={"temporal_ui_url": ui})
    external_id = f"ui-{uuid.uuid4().hex[:10]}"
    config = lifecycle_config(settings)
    async with build_worker(env.client, Deps(settings, sessions, transactions, http)):
        for status in ("CREATED", "COUNTERSIGNED"):
            handle = await signal_with_start(
                env.client,
                settings.temporal_task_queue,
                make_event(external_id, status, vendor_event=status.title()),
                config,
            )
        view = await handle.execute_update("sync", result_type=ContractView)
        assert view.status == "COUNTERSIGNED"
        await visible(env, f'ContractStatus="COUNTERSIGNED" AND WorkflowId="{view.workflow_id}"')
        yield view


async def visible(env: WorkflowEnvironment, query: str) -> None:
    async with asyncio.timeout(VISIBLE):  # visibility is eventually consistent
        while True:
            if [found async for found in env.client.list_workflows(query)]:
                return
            await asyncio.sleep(0.1)


async def test_contract_workflow_carries_summary_details_and_status(
    ui_env: tuple[WorkflowEnvironment, str], countersigned: ContractView
) -> None:
    env, _ = ui_env
    view = countersigned
    handle = env.client.get_workflow_handle(view.workflow_id)
    described = await handle.describe()
    assert described.typed_search_attributes.get(SEARCH_ATTRIBUTES[0]) == "COUNTERSIGNED"
    assert await described.static_summary() == f"vlens contract {view.external_id}"
    details = await described.static_details()
    assert details is not None
    for shown in ("vendor: vlens", f"external id: {view.external_id}", view.contract_id):
        assert shown in details
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details == f"COUNTERSIGNED: vlens contract {view.external_id}"


async def test_temporal_ui_finds_the_contract_by_status_in_a_browser(
    ui_env: tuple[WorkflowEnvironment, str], countersigned: ContractView, tmp_path: Path
) -> None:
    _, ui = ui_env
    view = countersigned
    listing = f"{ui}/namespaces/default/workflows?query=" + quote('ContractStatus="COUNTERSIGNED"')
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.goto(listing)
        await page.wait_for(f"document.body.innerText.includes({view.workflow_id!r})")

        # The link the API hands out opens the contract's run; its User Metadata tab shows the
        # summary, the details and the current status (markdown rendered in frames).
        assert view.temporal_ui_url
        assert view.temporal_ui_url.startswith(ui)
        await page.goto(view.temporal_ui_url)
        metadata_tab = await page.wait_for(
            "Array.from(document.querySelectorAll('a'))"
            ".map(a => a.href).find(href => href.endsWith('/user-metadata'))"
        )
        await page.goto(metadata_tab)
        for shown in (
            f"vlens contract {view.external_id}",
            f"contract id: {view.contract_id}",
            f"COUNTERSIGNED: vlens contract {view.external_id}",
        ):
            await page.wait_for(f"{FRAMES_TEXT}.includes({shown!r})")
