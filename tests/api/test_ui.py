"""The operator page `/ui`: protected like the other internal routes, every vendor value escaped,
and usable in a real browser (headless Chromium) on a contract made through the ingress."""

import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
from temporalio.worker import Worker

from core.db import SessionFactory
from core.models import DeliveryAttempt, Subscription
from core.settings import Settings
from tests.api.conftest import API_KEY, RunApi, api_settings
from tests.api.webhooks import applied, post_vlens
from tests.browser import chromium

HOSTILE = "</td><script>alert('x')</script><img src=x onerror=alert(1)>&\""


def basic(password: str, user: str = "operator") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def vlens(external_id: str, status: str, vendor_event: str | None = None) -> dict[str, object]:
    return {
        "Id": f"d-{uuid.uuid4()}",
        "WebhookEvent": vendor_event or "App.BusinessRequestStatusChange",
        "Data": {"Id": external_id, "NewStatus": status},
        "CreationTimeUtc": "2026-01-01T00:00:00Z",
    }


async def test_operator_pages_need_an_api_key(api: httpx.AsyncClient) -> None:
    refused = await api.get("/ui", headers={"Authorization": ""})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic ")
    assert (await api.get("/ui", headers=basic("wrong"))).status_code == 401
    for headers in (basic(API_KEY), basic(API_KEY, user=""), {}):  # {}: the client's bearer key
        page = await api.get("/ui", headers=headers)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "script-src" not in page.headers["content-security-policy"]
        assert page.headers["content-security-policy"].startswith("default-src 'none'")


async def test_dev_mode_without_keys_leaves_the_pages_open(
    run_api: RunApi, database_url: str, stack_settings: Settings
) -> None:
    dev = api_settings(
        database_url,
        stack_settings.temporal_address,
        CONTRACTSYNC_ENV="dev",
        CONTRACTSYNC_API_KEYS="",
    )
    async with run_api(dev) as api:
        api.headers.pop("Authorization")
        assert (await api.get("/ui/inbound")).status_code == 200


async def test_vendor_data_is_escaped_everywhere(
    api: httpx.AsyncClient, stack_worker: Worker
) -> None:
    # The contracts API takes ids without "/"; the page's own routes take any.
    external_id = f"{HOSTILE.replace('/', '')}-{uuid.uuid4().hex[:6]}"
    await applied(api, await post_vlens(api, vlens(external_id, "Created")))
    view = await applied(api, await post_vlens(api, vlens(external_id, HOSTILE, HOSTILE)))
    contract_id = view["contract_id"]
    pages = {
        "/ui?vendor=vlens&status=CREATED": 200,
        f"/ui/contracts/{quote(contract_id, safe=':')}": 200,
        f"/ui/inbound?contract_id={quote(contract_id)}": 200,
        f"/ui/contracts/{quote(HOSTILE, safe='')}": 404,
    }
    for path, status in pages.items():
        page = await api.get(path)
        assert page.status_code == status, path
        assert "<script>" not in page.text, path
        assert "onerror=alert(1)>" not in page.text, path
        assert "&lt;script&gt;alert(&#39;x&#39;)" in page.text, path


async def test_failing_subscriptions_are_listed(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    now = datetime.now(UTC)
    webhook_id = f"wh_{uuid.uuid4().hex[:12]}"
    async with sessions() as session:
        # Disabled, so the deliveries other tests trigger never go to it.
        session.add(
            Subscription(
                webhook_id=webhook_id,
                url=f"http://127.0.0.1:9/{HOSTILE}",
                events=["contract.never"],
                max_attempts=5,
                timeout_ms=5000,
                secret="whsec_test",
                status="DISABLED",
                disabled_reason=f"every delivery failed {HOSTILE}",
                failing_since=now,
                created_at=now,
                updated_at=now,
            )
        )
        session.add(
            DeliveryAttempt(
                delivery_id=f"dlv_{uuid.uuid4().hex[:12]}",
                message_id="msg_1",
                webhook_id=webhook_id,
                event_id="evt_1",
                attempt=1,
                trigger="event",
                status_code=503,
                duration_ms=12,
                at=now,
            )
        )
        await session.commit()
    page = (await api.get("/ui")).text
    assert webhook_id in page
    assert "HTTP 503" in page
    assert "<script>" not in page
    metrics = (await api.get("/metrics")).text
    assert 'contractsync_deliveries{outcome="retry"}' in metrics


async def test_operator_page_in_a_browser(
    api: httpx.AsyncClient, stack_worker: Worker, tmp_path: Path
) -> None:
    external_id = f"ui-{uuid.uuid4().hex[:8]}"
    await applied(api, await post_vlens(api, vlens(external_id, "Created")))
    view = await applied(api, await post_vlens(api, vlens(external_id, "Approved")))
    contract_id = view["contract_id"]
    base_url = str(api.base_url).rstrip("/")

    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.set_headers(basic(API_KEY))  # what the browser sends once the user typed it
        await page.goto(f"{base_url}/ui")
        link = f"a[href$='/ui/contracts/{contract_id}']"
        await page.wait_for(f"document.querySelector({link!r}) !== null")
        assert await page.evaluate("document.querySelectorAll('script').length") == 0

        await page.evaluate(f"document.querySelector({link!r}).click()")
        await page.wait_for(f"location.pathname.endsWith({contract_id!r})")
        statuses = await page.wait_for(
            "(() => { const rows = document.querySelectorAll('#timeline tbody tr');"
            " return rows.length === 2 && Array.from(rows, r => r.cells[4].innerText); })()"
        )
        assert statuses == ["CREATED", "APPROVED"]
        assert await page.evaluate("document.getElementById('status').innerText") == "APPROVED"

        await page.goto(f"{base_url}/ui/inbound?contract_id={quote(contract_id)}")
        rows = await page.wait_for("document.querySelectorAll('#inbound tbody tr').length")
        assert rows == 2
