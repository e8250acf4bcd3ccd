"""Signing in to the back office: who may, the session cookie, CSRF, signing out.

How long a session lives, that only its token's hash is stored and that revoking its
key ends it are SqlAdminSessions' rules: tests/integration/test_admin_sessions.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from order_service.adapters.sql.api_keys import SqlApiKeys
from order_service.application.access import Role
from order_service.settings import Settings
from tests.api_keys import create_key_on, key_name, utc_now
from tests.e2e.back_office import SESSION_COOKIE, get, sign_in, submit
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.e2e.test_auth import app_routes

SIGN_IN = "/admin/sign-in"
# Tests of HTML, cookies and headers alone: the database product makes no difference.
ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
SIGN_IN_COOKIE = "os_admin_sign_in"


@pytest.fixture
def browser_like(settings: Settings) -> Iterator[TestClient]:
    """A client of the real app that sends no API key, only what a browser would."""
    from order_service.api.app import create_app  # noqa: PLC0415

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _set_cookie(response_headers: list[str], name: str) -> str:
    found = [header for header in response_headers if header.startswith(f"{name}=")]
    assert found, response_headers
    return found[0]


def test_a_merchant_key_signs_in_and_gets_a_strict_http_only_cookie_for_admin_only(
    browser_like: TestClient, merchant_key: str,
) -> None:
    landed = sign_in(browser_like, merchant_key)

    assert landed.response.status_code == 303
    assert landed.response.headers["location"] == "/admin/orders"
    cookie = _set_cookie(landed.response.headers.get_list("set-cookie"), SESSION_COOKIE)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert get(browser_like, "/admin/orders").response.status_code == 200


@ON_SQLITE
@pytest.mark.parametrize("over", ["https", "a proxy that terminated https"])
def test_the_cookies_are_secure_when_the_browser_came_over_https(
    settings: Settings, merchant_key: str, over: str,
) -> None:
    from order_service.api.app import create_app  # noqa: PLC0415

    https = over == "https"
    base_url = "https://testserver" if https else "http://testserver"
    headers = {} if https else {"X-Forwarded-Proto": "https"}
    with TestClient(create_app(settings), base_url=base_url, headers=headers) as client:
        form_page = get(client, SIGN_IN)
        form_cookie = _set_cookie(form_page.response.headers.get_list("set-cookie"),
                                  SIGN_IN_COOKIE)
        # Behind the proxy the browser speaks https; this client speaks http to the app
        # and would hold a Secure cookie back, so it is handed over as the browser would.
        token = form_cookie.split(";")[0].split("=", 1)[1]
        landed = client.post(SIGN_IN, data={**form_page.form(SIGN_IN).fields,
                                            "api_key": merchant_key},
                             headers={"Cookie": f"{SIGN_IN_COOKIE}={token}"},
                             follow_redirects=False)

    assert "Secure" in form_cookie
    assert landed.status_code == 303
    assert "Secure" in _set_cookie(landed.headers.get_list("set-cookie"), SESSION_COOKIE)


@ON_SQLITE
def test_a_storefront_key_cannot_sign_in(browser_like: TestClient, engine: Engine) -> None:
    refused = sign_in(browser_like, create_key_on(engine, Role.STOREFRONT))

    assert refused.response.status_code == 403
    assert "needs a merchant key" in refused.flash()
    assert SESSION_COOKIE not in refused.response.headers.get("set-cookie", "")
    assert get(browser_like, "/admin/orders").response.url.path == SIGN_IN


@ON_SQLITE
def test_an_unknown_or_revoked_key_cannot_sign_in(browser_like: TestClient,
                                                  engine: Engine) -> None:
    name = key_name(Role.MERCHANT)
    revoked = create_key_on(engine, Role.MERCHANT, name)
    SqlApiKeys(engine, utc_now).revoke(name)

    for key in ("os_live_not-a-key-at-all", revoked, ""):
        refused = sign_in(browser_like, key)
        assert refused.response.status_code == 401, key
        assert "unknown or revoked" in refused.flash()
    assert get(browser_like, "/admin/orders").response.url.path == SIGN_IN


def test_signing_out_ends_the_session_and_its_cookie_no_longer_works(
    browser_like: TestClient, merchant_key: str,
) -> None:
    sign_in(browser_like, merchant_key)
    orders = get(browser_like, "/admin/orders")
    token = browser_like.cookies[SESSION_COOKIE]

    signed_out = submit(browser_like, orders, "/admin/sign-out")

    assert signed_out.response.url.path == SIGN_IN
    assert "You are signed out" in signed_out.flash()
    browser_like.cookies.set(SESSION_COOKIE, token, path="/admin")  # as if it was kept
    assert get(browser_like, "/admin/orders").response.url.path == SIGN_IN


@ON_SQLITE
def test_after_signing_in_the_browser_goes_back_to_the_page_it_asked_for_on_this_site_only(
    browser_like: TestClient, merchant_key: str,
) -> None:
    asked = browser_like.get("/admin/products?x=1", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/admin/sign-in?next=%2Fadmin%2Fproducts%3Fx%3D1"

    assert sign_in(browser_like, merchant_key, next_page="/admin/products?x=1").response \
        .headers["location"] == "/admin/products?x=1"
    for elsewhere in ("https://evil.example/", "//evil.example/admin/", "/v1/orders"):
        browser_like.cookies.clear()
        landed = sign_in(browser_like, merchant_key, next_page=elsewhere)
        assert landed.response.headers["location"] == "/admin/orders", elsewhere


@ON_SQLITE
def test_every_back_office_route_sends_a_browser_without_a_session_to_sign_in(
    browser_like: TestClient,
) -> None:
    # /admin itself only points at the orders list, and the sign-in page is the goal.
    walked = sorted(route for route in app_routes(browser_like.app)
                    if route[1].startswith("/admin/") and route[1] != SIGN_IN)
    assert len(walked) >= 9

    for method, path in walked:
        concrete = path.replace("{order_id}", "7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10") \
            .replace("{slug}", "cancel").replace("{sku}", "TEE").replace("{rest:path}", "x")
        answer = browser_like.request(method, concrete, follow_redirects=False)
        assert answer.status_code == 303, (method, path, answer.status_code)
        assert answer.headers["location"].startswith(SIGN_IN), (method, path)


def _pending_order(client: TestClient) -> dict[str, object]:
    sku = create_product(client, stock=5)["sku"]
    return place_order(client, [line(sku, 2)], create_shipping_method(client)["code"])


@ON_SQLITE
def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, merchant_key: str,
) -> None:
    order = _pending_order(client)
    sign_in(client, merchant_key)
    confirm = get(client, f"/admin/orders/{order['id']}/cancel")
    action = f"/admin/orders/{order['id']}/cancel"
    form = confirm.form(action).fields

    for token in (None, "", "not-the-token", form["csrf_token"][:-1] + "x"):
        data = {**form} if token is None else {**form, "csrf_token": token}
        if token is None:
            del data["csrf_token"]
        refused = client.post(action, data=data)
        assert refused.status_code == 403, token
        assert refused.headers["content-type"].startswith("text/html")
        assert "security token" in refused.text

    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "pending_payment"


@ON_SQLITE
def test_a_post_sent_from_another_site_is_refused_even_with_the_token(
    client: TestClient, merchant_key: str,
) -> None:
    order = _pending_order(client)
    sign_in(client, merchant_key)
    action = f"/admin/orders/{order['id']}/cancel"
    form = get(client, action).form(action).fields

    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        refused = client.post(action, data=form, headers=headers)
        assert refused.status_code == 403, headers
        assert "another site" in refused.text

    assert client.get(f"/v1/orders/{order['id']}").json()["status"] == "pending_payment"


@ON_SQLITE
def test_a_sign_in_form_not_served_by_this_site_is_refused(browser_like: TestClient,
                                                           merchant_key: str) -> None:
    refused = browser_like.post(SIGN_IN, data={"api_key": merchant_key, "csrf_token": "forged"})

    assert refused.status_code == 403
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


@ON_SQLITE
def test_a_browser_trying_key_after_key_is_slowed_down(browser_like: TestClient) -> None:
    answers = [sign_in(browser_like, f"os_live_guess-{n}").response for n in range(21)]

    assert [answer.status_code for answer in answers] == [401] * 20 + [429]
    assert answers[-1].headers["retry-after"].isdigit()
    assert "Too many attempts" in answers[-1].text
