"""NGSI-LD errors as RFC 7807 ProblemDetails with the error type URIs of ETSI GS CIM 009.

Every failure the API reports is one of these; the app turns them into
``application/json`` ProblemDetails with the status code the spec assigns (clause 5.5.2).
"""

from __future__ import annotations

from typing import ClassVar

ERROR_BASE = "https://uri.etsi.org/ngsi-ld/errors/"


class NgsiLdError(Exception):
    """Base of the API's errors; subclasses fix the type URI and the status code."""

    error_type: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def problem(self) -> dict[str, object]:
        return {
            "type": ERROR_BASE + self.error_type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


class InvalidRequest(NgsiLdError):
    error_type, status, title = "InvalidRequest", 400, "Invalid request"


class BadRequestData(NgsiLdError):
    error_type, status, title = "BadRequestData", 400, "Bad request data"


class AlreadyExists(NgsiLdError):
    error_type, status, title = "AlreadyExists", 409, "Already exists"


class ResourceNotFound(NgsiLdError):
    error_type, status, title = "ResourceNotFound", 404, "Resource not found"


class NonexistentTenant(NgsiLdError):
    error_type, status, title = "NonexistentTenant", 404, "Nonexistent tenant"


class OperationNotSupported(NgsiLdError):
    error_type, status, title = "OperationNotSupported", 422, "Operation not supported"


class TooManyResults(NgsiLdError):
    error_type, status, title = "TooManyResults", 403, "Too many results"


class LdContextNotAvailable(NgsiLdError):
    error_type, status, title = "LdContextNotAvailable", 503, "@context not available"


class Unauthorized(NgsiLdError):
    # Not an NGSI-LD error type of its own; the spec leaves authentication to the platform.
    error_type, status, title = "NotAuthorized", 401, "Not authorized"


class PayloadTooLarge(NgsiLdError):
    error_type, status, title = "BadRequestData", 413, "Request body too large"


class UnsupportedMediaType(NgsiLdError):
    error_type, status, title = "InvalidRequest", 415, "Unsupported media type"


class NotAcceptable(NgsiLdError):
    error_type, status, title = "InvalidRequest", 406, "Not acceptable"
