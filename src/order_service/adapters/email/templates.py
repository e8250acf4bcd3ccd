"""The words of each order email, from Jinja2 templates in the shop's language.

Templates live in `templates/<locale>/<kind>.subject.txt`, `<kind>.txt` and `<kind>.html`
(the HTML ones extend the shared `templates/_layout.html`). A merchant may point `folder`
at a directory laid out the same way: a file there wins, the packaged one is the fallback.
"""

from __future__ import annotations

import re
from dataclasses import fields
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from order_service.adapters.email.addresses import address_lines
from order_service.adapters.email.formatting import CONVENTIONS, iban, moment, money, percent
from order_service.application.email_messages import EMAIL_KINDS, EmailFacts, RenderedEmail
from order_service.domain.payment_hold import PAYMENT_TIMEOUT
from order_service.domain.values import Address, Customer

PACKAGED = Path(__file__).with_name("templates")
# Every kind is told in these three parts: <kind>.subject.txt, <kind>.txt, <kind>.html.
PARTS = ("subject.txt", "txt", "html")
CORRECTABLE = {"customer": Customer, "shipping_address": Address, "billing_address": Address}
_BLANK_LINES = re.compile(r"\n{3,}")


class JinjaEmailTemplates:
    """EmailTemplates from Jinja2 files: the packaged ones, or a merchant's own."""

    def __init__(self, *, shop_name: str | None, locale: str = "en", time_zone: ZoneInfo,
                 folder: Path | None = None) -> None:
        if locale not in CONVENTIONS:
            raise ValueError(f"there are no email templates in {locale!r}; the supported "
                             f"locales are {', '.join(sorted(CONVENTIONS))}")
        if folder is not None and not folder.is_dir():
            raise ValueError(f"the email templates folder {folder} is not a directory")
        self._shop_name = shop_name
        self._locale = locale
        self._environment = _environment(locale, time_zone, folder)
        # Compiled now, so that a broken override stops the service at start rather than
        # at the first email it should have sent.
        for kind in EMAIL_KINDS.values():
            for part in PARTS:
                self._environment.get_template(f"{locale}/{kind}.{part}")

    def render(self, facts: EmailFacts) -> RenderedEmail:
        """The subject, text and HTML of the email `facts.kind` makes."""
        if facts.kind not in EMAIL_KINDS.values():
            raise ValueError(f"no email is written for {facts.kind!r}; the kinds are "
                             f"{', '.join(EMAIL_KINDS.values())}")
        context = self._context(facts)
        # A header is one line: however a template spreads it, the subject is joined up.
        context["subject"] = " ".join(self._part(facts.kind, "subject.txt", context).split())
        text = _tidy(self._part(facts.kind, "txt", context))
        return RenderedEmail(subject=context["subject"], text=text,
                             html=self._part(facts.kind, "html", context))

    def _part(self, kind: str, part: str, context: dict[str, Any]) -> str:
        template = self._environment.get_template(f"{self._locale}/{kind}.{part}")
        return template.render(context)

    def _context(self, facts: EmailFacts) -> dict[str, Any]:
        return {
            "shop_name": self._shop_name, "locale": self._locale, "kind": facts.kind,
            "order": facts.order, "event": facts.event, "happened_at": facts.happened_at,
            "instructions": facts.instructions,
            # A refund names its goods by SKU; the customer knows them by name.
            "product_names": {line.sku: line.name for line in facts.order.lines},
            "corrected": _corrected(facts.event) if facts.kind == "corrected" else {},
        }


def _environment(locale: str, time_zone: ZoneInfo, folder: Path | None) -> Environment:
    loaders = [FileSystemLoader(PACKAGED)]
    if folder is not None:
        loaders.insert(0, FileSystemLoader(folder))
    conventions = CONVENTIONS[locale]
    environment = Environment(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined,
        # The HTML part escapes what customers typed (a name like <script>); the subject
        # and the text part are plain text and must show it as typed.
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    environment.filters.update({
        "money": partial(money, conventions=conventions),
        "moment": partial(moment, zone=time_zone, conventions=conventions),
        "percent": partial(percent, conventions=conventions),
        "address_lines": partial(address_lines, locale=locale),
        "iban": iban,
    })
    environment.globals["PAYMENT_TIMEOUT"] = PAYMENT_TIMEOUT
    return environment


def _corrected(event: dict[str, Any]) -> dict[str, Customer | Address]:
    """The corrected parts of an OrderDetailsCorrected's data, by name, at their new value."""
    corrected: dict[str, Customer | Address] = {}
    for name, value_type in CORRECTABLE.items():
        change = event.get(name)
        if change is not None:
            known = {field.name for field in fields(value_type)}
            corrected[name] = value_type(**{key: value for key, value in change["new"].items()
                                            if key in known})
    return corrected


def _tidy(text: str) -> str:
    """A text part without trailing spaces or runs of blank lines left by template tags."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_LINES.sub("\n\n", lines) + "\n"
