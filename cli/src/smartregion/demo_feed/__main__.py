"""``python -m smartregion.demo_feed --host H --port P``: run the demo feed until SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from smartregion.demo_feed.server import make_server


def main() -> int:
    parser = argparse.ArgumentParser(prog="smartregion.demo_feed")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    # SIGTERM (smartregion down) → leave serve_forever cleanly
    signal.signal(signal.SIGTERM,
                  lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    print(f"demo feed on http://{args.host}:{args.port}/", flush=True)
    server.serve_forever(poll_interval=0.5)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
