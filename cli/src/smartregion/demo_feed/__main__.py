"""``python -m smartregion.demo_feed --host H --port P [--mqtt-port M]``: run the demo feed
until SIGTERM; with ``--mqtt-port`` it also publishes the demo LoRaWAN devices' uplinks to the
MQTT server on ``H:M`` (see :mod:`smartregion.demo_feed.lorawan`)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from smartregion.demo_feed.lorawan import UplinkPublisher
from smartregion.demo_feed.server import make_server


def main() -> int:
    parser = argparse.ArgumentParser(prog="smartregion.demo_feed")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mqtt-port", type=int, help="publish LoRaWAN uplinks to this MQTT port")
    parser.add_argument("--uplink-interval", type=float, default=20.0,
                        help="seconds between two uplinks of a device (default 20)")
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    publisher = None
    if args.mqtt_port:
        publisher = UplinkPublisher(args.host, args.mqtt_port, args.uplink_interval)
        publisher.start()
    # SIGTERM (smartregion down) → leave serve_forever cleanly
    signal.signal(signal.SIGTERM,
                  lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"demo feed on http://{args.host}:{args.port}/", flush=True)
    server.serve_forever(poll_interval=0.5)
    server.server_close()
    if publisher is not None:
        publisher.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
