"""Driving the back office (/admin) with an HTTP client, as a browser would.

A TestClient keeps cookies like a browser, so `sign_in` leaves it signed in. The page
readers parse the HTML the pages send (forms, flash messages, badges) with the
standard library's parser. A form is read as a browser would send it: a checkbox only
when checked, a select's chosen option, a textarea's text, and a name given to several
inputs with each of their values.
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
    # Every (name, value) in the order the browser would send them.
    pairs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        """A value the form sends under `name` (the last one is also `fields[name]`)."""
        self.fields[name] = value
        self.pairs.append((name, value))

    def data(self, **values: str | list[str]) -> dict[str, str | list[str]]:
        """What the form sends, with `values` in place of what it holds for those names."""
        sent: dict[str, list[str]] = {}
        for name, value in self.pairs:
            sent.setdefault(name, []).append(value)
        held = {name: got[0] if len(got) == 1 else got for name, got in sent.items()}
        return {**held, **values}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, class being collected)
        self._collecting: list[tuple[str, list[str]]] = []
        self._select: tuple[str, list[str]] | None = None  # its name, its first option
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get")))
        if self.forms and "name" in values and "disabled" not in values:
            self._field(tag, values)
        if tag == "option" and self._select is not None:
            self._option(values)
        self._space()
        if tag in ("input", "br", "meta", "link", "img"):
            return
        classes = values.get("class", "").split()
        self._open.append((tag, " ".join(classes)))
        for css_class in classes:
            self._collecting.append((css_class, []))
            self.texts.setdefault(css_class, [])

    def _field(self, tag: str, values: dict[str, str]) -> None:
        ticked = values.get("type") in ("checkbox", "radio")
        if tag == "input" and (not ticked or "checked" in values):
            self.forms[-1].add(values["name"], values.get("value", "on" if ticked else ""))
        elif tag == "select":
            self._select = (values["name"], [])
        elif tag == "textarea":
            self._textarea = (values["name"], [])

    def _option(self, values: dict[str, str]) -> None:
        assert self._select is not None
        name, first = self._select
        if "selected" in values:
            self.forms[-1].add(name, values.get("value", ""))
            self._select = None
        elif not first:
            first.append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            name, first = self._select  # nothing chosen: a browser sends the first option
            self.forms[-1].add(name, first[0] if first else "")
            self._select = None
        if tag == "textarea" and self._textarea is not None:
            self.forms[-1].add(self._textarea[0], "".join(self._textarea[1]))
            self._textarea = None
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
        if self._textarea is not None:
            self._textarea[1].append(data)
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

    def form(self, action: str, **holding: str) -> Form:
        """The (first) form that posts to `action` and holds the `holding` values."""
        matching = [form for form in self._read().forms if form.action == action
                    and all(form.fields.get(name) == value for name, value in holding.items())]
        assert matching, f"no form posts to {action} with {holding}; forms: {self._read().forms}"
        return matching[0]

    def forms(self) -> list[Form]:
        """Every form of the page, in the order it shows them."""
        return self._read().forms

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


def submit(client: httpx.Client, page: Page, action: str, *, holding: dict[str, str] | None = None,
           **values: str | list[str]) -> Page:
    """Send the form of `page` that posts to `action` (and holds `holding`), with `values`
    filled in (a list for a name several inputs share)."""
    form = page.form(action, **(holding or {}))
    return Page(client.post(action, data=form.data(**values), follow_redirects=True))
