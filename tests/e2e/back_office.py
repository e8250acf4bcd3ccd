"""Driving the back office (/admin) with an HTTP client, as a browser would.

A TestClient keeps cookies like a browser, so `sign_in` leaves it signed in. The page
readers parse the HTML the pages send (forms, flash messages, badges) with the
standard library's parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

SESSION_COOKIE = "os_admin_session"


@dataclass
class Form:
    """A form of a page: where it posts and the values it would send as it stands."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, class being collected)
        self._collecting: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get")))
        if tag == "input" and self.forms and "name" in values:
            self.forms[-1].fields[values["name"]] = values.get("value", "")
        self._space()
        if tag in ("input", "br", "meta", "link", "img"):
            return
        classes = values.get("class", "").split()
        self._open.append((tag, " ".join(classes)))
        for css_class in classes:
            self._collecting.append((css_class, []))
            self.texts.setdefault(css_class, [])

    def handle_endtag(self, tag: str) -> None:
        self._space()
        if not self._open or self._open[-1][0] != tag:
            return
        _, classes = self._open.pop()
        for _ in (classes or "").split():
            css_class, parts = self._collecting.pop()
            self.texts[css_class].append(" ".join("".join(parts).split()))

    def _space(self) -> None:
        # Elements are words apart (<li>a</li><li>b</li> reads "a b"), as on screen.
        for _, parts in self._collecting:
            parts.append(" ")

    def handle_data(self, data: str) -> None:
        for _, parts in self._collecting:
            parts.append(data)


@dataclass
class Page:
    """A page of the back office as the client got it."""

    response: httpx.Response

    @property
    def html(self) -> str:
        """The page's HTML."""
        return self.response.text

    def _read(self) -> _Reader:
        reader = _Reader()
        reader.feed(self.html)
        return reader

    def form(self, action: str) -> Form:
        """The form that posts to `action`."""
        matching = [form for form in self._read().forms if form.action == action]
        assert matching, f"no form posts to {action}; forms: {self._read().forms}"
        return matching[0]

    def texts(self, css_class: str) -> list[str]:
        """The text of every element of `css_class`, whitespace collapsed."""
        return self._read().texts.get(css_class, [])

    def flash(self) -> str:
        """The flash message shown (title and details), or ''."""
        return " | ".join(self.texts("flash"))


def sign_in(client: httpx.Client, api_key: str, *, next_page: str | None = None) -> Page:
    """Sign in through the form (the client keeps the cookie); the page it lands on."""
    form = get(client, "/admin/sign-in").form("/admin/sign-in")
    data = {**form.fields, "api_key": api_key}
    if next_page is not None:
        data["next"] = next_page
    return Page(client.post("/admin/sign-in", data=data, follow_redirects=False))


def get(client: httpx.Client, path: str) -> Page:
    """GET a page, following redirects like a browser."""
    return Page(client.get(path, follow_redirects=True))


def submit(client: httpx.Client, page: Page, action: str, **values: str) -> Page:
    """Send the form of `page` that posts to `action`, with `values` filled in."""
    form = page.form(action)
    return Page(client.post(action, data={**form.fields, **values}, follow_redirects=True))
