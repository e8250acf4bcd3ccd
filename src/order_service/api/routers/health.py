"""Health checks for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.problems import problem_response
from order_service.api.schemas.health import HealthOut

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", summary="Liveness",
            responses={200: ex.answer("The process answers", ex.HEALTHY)})
async def live() -> HealthOut:
    """The process is up and answering."""
    return HealthOut()


# response_model=None: the 503 is a problem, not a HealthOut; the 200 is declared instead.
@router.get("/ready", summary="Readiness", response_model=None,
            responses={200: {"model": HealthOut, **ex.answer("Ready for traffic", ex.HEALTHY)},
                       503: ex.refusal("The database cannot be reached", px.NOT_READY)})
def ready(request: Request) -> HealthOut | JSONResponse:
    """The service can reach its database and take traffic."""
    if request.app.state.database_is_reachable():
        return HealthOut()
    return problem_response(503, "not-ready", "Service Unavailable",
                            "The database cannot be reached.")
