"""The one exception tree. Everything a client can be told derives from `PlaygroundError`.

Third-party errors (sqlite, aiodocker, pycrdt) are converted where they enter; the HTTP
layer turns any `PlaygroundError` into the contract's JSON error body, the WebSocket
layers into an `error` frame or a named close code.
"""

from __future__ import annotations


class PlaygroundError(Exception):
    """Root of every error the playground reports to a client."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(PlaygroundError):
    code = "bad_request"
    status = 400


class NotFound(PlaygroundError):
    code = "not_found"
    status = 404


class PayloadTooLarge(PlaygroundError):
    code = "payload_too_large"
    status = 413


class UnknownLanguage(BadRequest):
    code = "unknown_language"


class RateLimited(PlaygroundError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(PlaygroundError):
    """The database failed; the request may be retried."""

    code = "store_error"
    status = 503


# WebSocket close codes (4000-4999 are the application's own).
CLOSE_BAD_MESSAGE = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408
CLOSE_TOO_LARGE = 4413
CLOSE_RATE_LIMITED = 4429
CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL = 1011
