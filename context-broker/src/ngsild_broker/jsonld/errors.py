"""The two ways an @context can fail, as exceptions the broker maps to NGSI-LD errors.

Kept apart from the broker's ProblemDetails classes so that the JSON-LD layer stays usable
without the web app (adapters, tests); :mod:`ngsild_broker.contexts` does the mapping:
``LdContextNotAvailable`` → 503 LdContextNotAvailable, ``InvalidContext`` → 400 BadRequestData.
"""

from __future__ import annotations


class JsonLdContextError(Exception):
    """Base of the layer's errors; ``str(error)`` is a message fit for a ProblemDetails detail."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LdContextNotAvailable(JsonLdContextError):
    """A referenced @context could not be obtained: not shipped, not cached, not downloadable.

    Carries the URL and the reason separately so that logs and the API can show both.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"@context {url} is not available: {reason}")
        self.url = url
        self.reason = reason


class InvalidContext(JsonLdContextError):
    """An @context was obtained but is not a valid JSON-LD context (malformed term definitions,
    wrong JSON types, relative URLs without a base, cycles)."""
