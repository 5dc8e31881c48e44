"""The vendors' status APIs, as a polling client calls them, answered from a `VendorState`.

Each vendor lives under its own prefix, so one server stands in for all four:
`{base}/vlens`, `{base}/documenso`, `{base}/signly`, `{base}/fintechos`.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse

from tools.simulators.scenario import VENDORS
from tools.simulators.state import VendorState


def vendor_base_urls(base_url: str) -> dict[str, str]:
    """Where each vendor's API lives on a server running `create_status_app`."""
    root = base_url.rstrip("/")
    return {vendor: f"{root}/{vendor}" for vendor in VENDORS}


def create_status_app(state: VendorState) -> FastAPI:
    app = FastAPI(title="Simulated vendor status APIs", openapi_url=None)

    @app.middleware("http")
    async def throttle(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        state.requests.append((request.method, request.url.path))
        retry_after = state.take_rate_limit()
        if retry_after is not None:
            return JSONResponse(
                {"error": "too many requests"},
                status_code=429,
                headers={"Retry-After": str(retry_after)},
            )
        return await call_next(request)

    @app.get("/vlens/api/BusinessRequest/CurrentListIds")
    async def vlens_list() -> JSONResponse:
        return JSONResponse(
            [{"Id": view["Id"], "Status": view["Status"]} for view in state.views("vlens")]
        )

    @app.get("/vlens/api/BusinessRequest/{request_id}")
    async def vlens_request(request_id: str) -> JSONResponse:
        view = state.view("vlens", request_id)
        if view is None:
            return JSONResponse({"error": {"message": "BusinessRequest not found"}}, 404)
        return JSONResponse(dict(view))

    @app.get("/documenso/api/v2/envelope/{document_id}")
    async def documenso_envelope(
        document_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        # Documenso takes the raw key; a "Bearer " prefix is tolerated.
        presented = (authorization or "").removeprefix("Bearer ").strip()
        if presented != state.documenso_api_key:
            return JSONResponse({"message": "Unauthorized"}, 401)
        view = state.view("documenso", document_id)
        if view is None:
            return JSONResponse({"message": "Envelope not found"}, 404)
        return JSONResponse(dict(view))

    @app.get("/signly/v1/documents/{document_id}")
    async def signly_document(
        document_id: str,
        tenant: Annotated[str | None, Header(alias="X-Tenant-Signly")] = None,
        key: Annotated[str | None, Header(alias="X-Auth-Signly")] = None,
    ) -> JSONResponse:
        presented = (key or "").removeprefix("HMAC ").strip()
        if tenant != state.signly_tenant_id or presented != state.signly_api_key:
            return _signly(401, "unauthorized", "Invalid tenant or credential.", None)
        view = state.view("signly", document_id)
        if view is None:
            return _signly(404, "document_not_found", "Document not found.", None)
        return _signly(200, "document_fetched", "Document fetched.", dict(view))

    @app.get("/fintechos/api/envelopes/{envelope_id}/status")
    async def fintechos_status(envelope_id: str) -> JSONResponse:
        view = state.view("fintechos", envelope_id)
        if view is None:
            return JSONResponse({"Message": "Envelope not found"}, 404)
        return JSONResponse(dict(view))

    return app


def _signly(status: int, code: str, message: str, data: dict[str, Any] | None) -> JSONResponse:
    """Signly wraps every answer in the same envelope."""
    ok = status < 400
    body = {
        "success": ok,
        "status": status,
        "code": code,
        "message": message,
        "data": data,
        "pagination": None,
        "error": None if ok else {"code": code, "message": message},
    }
    return JSONResponse(body, status)
