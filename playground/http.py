"""HTTP plumbing shared by the routes: JSON bodies in, JSON errors out."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import BadRequest, PayloadTooLarge, PlaygroundError, RateLimited

log = logging.getLogger("playground.http")

MAX_JSON_BODY = 4 * 1024 * 1024


async def json_body(request: Request, *, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The request's JSON object body; BadRequest for anything else."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"request body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"request body over {limit} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def field(data: dict[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    """`data[name]` checked against `kind`; None when absent and optional."""
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest(f"'{name}' is required", code="invalid_field")
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BadRequest(f"'{name}' must be a {kind.__name__}", code="invalid_field")
    return value


def query_int(request: Request, name: str, default: int, *, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"'{name}' must be an integer", code="invalid_query") from None
    if not lo <= value <= hi:
        raise BadRequest(f"'{name}' must be between {lo} and {hi}", code="invalid_query")
    return value


def error_response(exc: PlaygroundError) -> JSONResponse:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


async def playground_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PlaygroundError)
    return error_response(exc)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "http_error")
    return JSONResponse(
        {"error": {"code": code, "message": str(exc.detail)}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"error": {"code": "internal_error", "message": "the server failed; it has been logged"}},
        status_code=500,
    )
