"""One family of API errors, mapped to JSON responses in one place.

Every error response has the same shape:
    {"error": "<for humans>", "code": "<stable_snake_case>", "request_id": "..."}
`error` is the human-readable string the upstream app answers with (clients
written against it read it); clients of this service branch on `code`, as
the wording of `error` may change.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An error the client can act on. Subclasses fix the status and code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class InvalidJson(ApiError):
    status, code = 400, "invalid_json"


class InvalidField(ApiError):
    status, code = 400, "invalid_field"


class MissingField(ApiError):
    status, code = 400, "missing_field"


class InvalidParameter(ApiError):
    status, code = 400, "invalid_parameter"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class KeyNotFound(ApiError):
    status, code = 404, "key_not_found"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class StoreUnavailable(ApiError):
    """Redis cannot be reached or did not answer in time; safe to retry."""

    status, code = 503, "redis_unavailable"
    retry_after_s = 1

    def __init__(self, message: str = "Redis is unavailable; retry later") -> None:
        super().__init__(message, headers={"Retry-After": str(self.retry_after_s)})


class WriteNotDurable(StoreUnavailable):
    """The write reached the primary but not enough replicas acknowledged it in time."""

    code = "write_not_durable"


# Werkzeug's routing and size errors, renamed into our stable codes.
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_body(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": message, "code": code, "request_id": g.get("request_id", "")})
    response.status_code = status
    return response


def render(error: ApiError) -> Response:
    response = error_body(error.status, error.code, error.message)
    response.headers.update(error.headers)
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, render)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = _HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
        message = error.description or error.name
        response = error_body(status, code, message)
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        # Last line of defence: a bug must never leak a stack trace to clients.
        app.logger.exception("unhandled error")
        return error_body(500, "internal_error", "internal error; it has been logged")
