"""Errors as problem+json: a value the database refuses is the request's fault (400), any
other database error stays a 500."""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from api import problems


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def app_raising(sqlstate: str) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/")
    async def fail() -> None:
        raise DBAPIError("SELECT 1", None, DriverError(sqlstate))

    return app


async def answer(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/")


@pytest.mark.parametrize("sqlstate", ["22021", "22001", "22P05"])
async def test_a_value_the_database_refuses_is_a_400(sqlstate: str) -> None:
    response = await answer(app_raising(sqlstate))
    assert response.status_code == 400
    assert response.headers["content-type"] == problems.PROBLEM_JSON


async def test_other_database_errors_stay_500() -> None:
    assert (await answer(app_raising("23505"))).status_code == 500


@pytest.mark.parametrize(
    "path",
    ["/contracts/vlens:a%00b", "/v1/webhooks/wh_%00", "/v1/inbound?vendor=vlens%00"],
)
async def test_nul_in_a_url_is_never_a_5xx(api: httpx.AsyncClient, path: str) -> None:
    """Found by the fault suite's fuzz stage: on PostgreSQL each of these was a 500."""
    response = await api.get(path)
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("cursor", ["82700664206468514316288", "-1"])
async def test_an_inbound_cursor_out_of_range_is_a_422(api: httpx.AsyncClient, cursor: str) -> None:
    """Found by the fault suite's fuzz stage: past 64 bits SQLite's driver raised, a 500."""
    response = await api.get("/v1/inbound", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
