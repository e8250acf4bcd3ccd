"""The HTTP ceiling: a FastAPI app that does nothing, served like order-service.

    .venv/bin/python bench/noop_app.py --port 8100 [--workers 2]

GET /noop answers {"ok": true} from a sync route (run in the threadpool, like the
service's routes), under the server settings `order-service serve` uses: uvicorn with
the same worker count, proxy headers and the service's own log configuration (access log
included). Whatever the service does per request on top of this is its own cost.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from order_service.logs import log_config

app = FastAPI()


@app.get("/noop")
def noop() -> dict[str, bool]:
    """Nothing at all."""
    return {"ok": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # The same call as order_service.cli.serve._serve, with this app instead.
    uvicorn.run("noop_app:app", host=args.host, port=args.port, workers=args.workers,
                proxy_headers=True, log_config=log_config("info"),
                app_dir=str(Path(__file__).resolve().parent))


if __name__ == "__main__":
    main()
