"""``ngsild-broker``: run the broker with uvicorn (settings from ``BROKER_*``)."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .settings import BrokerSettings


def main() -> None:
    settings = BrokerSettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
