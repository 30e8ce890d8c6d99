"""JSON responses serialised with orjson.

Rendering the body is a large share of a small request's cost; orjson does it several times
faster than the standard library and produces the same JSON (UTF-8, no NaN).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as StarletteJSONResponse


class JSONResponse(StarletteJSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
