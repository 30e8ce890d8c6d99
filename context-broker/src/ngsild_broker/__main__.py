"""``ngsild-broker``: run the broker with uvicorn (settings from ``BROKER_*``)."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .settings import BrokerSettings


def main() -> None:
    settings = BrokerSettings()  # type: ignore[call-arg]
    if settings.workers == 1:
        uvicorn.run(
            create_app(settings), host=settings.host, port=settings.port, log_level="info",
            access_log=settings.access_log,
        )
        return
    # Each worker process builds its own app from the same BROKER_* environment.
    uvicorn.run(
        "ngsild_broker.app:create_app", factory=True, workers=settings.workers,
        host=settings.host, port=settings.port, log_level="info",
        access_log=settings.access_log,
    )


if __name__ == "__main__":
    main()
