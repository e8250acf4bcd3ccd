"""`GET /metrics`: the Prometheus scrape target.

Open by default, like `/health/*`: it holds counts and timings only (no ids, customers
or amounts), and Prometheus scrapes usually carry no credentials. Set
ORDER_SERVICE_METRICS_TOKEN to make it ask for `Authorization: Bearer <token>` (a fixed
token, not an API key: a scrape must not need the database, which may be the very thing
that is down).
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request, Response
from pydantic import SecretStr

from order_service.api.problems import problem_response
from order_service.observability.metrics import CONTENT_TYPE, Metrics

METRICS_PATH = "/metrics"


def install_metrics(app: FastAPI, metrics: Metrics, token: SecretStr | None) -> None:
    """Serve `metrics` at /metrics, asking for `token` as a bearer token if one is set."""
    expected = None if token is None else f"Bearer {token.get_secret_value()}".encode()

    # Async on purpose: routes run on a few worker threads, and a scrape must not queue
    # behind them when they are all busy (that is when it matters most).
    async def scrape(request: Request) -> Response:
        """Every metric in Prometheus' text format, summed over the worker processes."""
        given = request.headers.get("authorization", "").encode()
        if expected is not None and not hmac.compare_digest(given, expected):
            return problem_response(
                401, "unauthenticated", "Unauthorized",
                "This server's metrics need Authorization: Bearer <ORDER_SERVICE_METRICS_TOKEN>.",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    # Out of the API document: it is the operators' endpoint, not the shop's API.
    app.add_api_route(METRICS_PATH, scrape, methods=["GET"], include_in_schema=False)
