"""One small exception tree, rendered as application/problem+json (RFC 9457) by one handler."""

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    status: int = 400
    title: str = "Bad Request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class BadRequest(Problem):
    status, title = 400, "Bad Request"


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"


class NotFound(Problem):
    status, title = 404, "Not Found"


class Conflict(Problem):
    status, title = 409, "Conflict"


class PreconditionFailed(Problem):
    status, title = 412, "Precondition Failed"


class PayloadTooLarge(Problem):
    status, title = 413, "Payload Too Large"


class Unprocessable(Problem):
    status, title = 422, "Unprocessable Content"


class NotImplementedYet(Problem):
    status, title = 501, "Not Implemented"


class ServiceUnavailable(Problem):
    status, title = 503, "Service Unavailable"


def problem_response(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body |= {"detail": detail} | extra
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def render(problem: Problem) -> JSONResponse:
    return problem_response(problem.status, problem.detail, problem.headers, **problem.extra)


def problem_schema(description: str) -> dict[str, Any]:
    """For `responses=` in route declarations, so /docs lists every error."""
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def install(app: FastAPI) -> None:
    async def on_problem(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return render(error)

    async def on_http(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return problem_response(error.status_code, str(error.detail), dict(error.headers or {}))

    async def on_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = [
            {"loc": list(item.get("loc", ())), "msg": item.get("msg", "")}
            for item in error.errors()
        ]
        return problem_response(422, "the request is not valid", errors=errors)

    async def on_database(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DBAPIError)
        if not is_data_exception(error):
            raise error  # a real fault: it stays a 500 and is logged as one
        return problem_response(
            400, "the request carries a value the database cannot hold (a NUL character?)"
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(DBAPIError, on_database)


def is_data_exception(error: DBAPIError) -> bool:
    """SQLSTATE class 22: the database refused a value itself (PostgreSQL refuses NUL in text
    and over-long strings), which only the request's own values can cause."""
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return isinstance(code, str) and code.startswith("22")
