"""What every error answer must look like: RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Check that `response` is a problem+json answer with `status`; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert isinstance(problem["type"], str)
    assert problem["type"]
    assert isinstance(problem["title"], str)
    assert problem["title"]
    assert isinstance(problem["detail"], str)
    assert problem["detail"]
    return problem


def field_errors(problem: dict[str, Any]) -> list[str]:
    """Where each field error of a validation problem points (body pointer or parameter)."""
    return [item.get("pointer") or f"{item.get('in')}:{item.get('parameter')}"
            for item in problem.get("errors", [])]
