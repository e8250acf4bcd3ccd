"""The words of the order emails: each kind in each language, money and times as the shop
writes them, customers' text escaped in HTML, merchants' own templates, the MIME message."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from jinja2 import TemplateSyntaxError, UndefinedError

from order_service.adapters.email.formatting import CONVENTIONS, money
from order_service.adapters.email.mime import mime_message
from order_service.adapters.email.preview import preview
from order_service.adapters.email.templates import JinjaEmailTemplates
from order_service.application.email_messages import EMAIL_KINDS, EmailFacts, RenderedEmail
from order_service.application.views import OrderView
from order_service.domain.events import (
    AddressCorrection,
    DomainEvent,
    OrderCancelled,
    OrderDetailsCorrected,
    OrderPaid,
    OrderRefunded,
    OrderShipped,
)
from order_service.domain.payment_hold import PAYMENT_TIMEOUT
from order_service.domain.payment_instructions import (
    BankAccount,
    BankTransferInstructions,
    CashOnDeliveryInstructions,
    PaymentInstructions,
)
from order_service.domain.values import Customer, OrderStatus, StockQuantity
from order_service.eventstore.codec import encode
from tests.unit.examples import ADDRESS, CUSTOMER, LATER, NEW_ADDRESS, PLACED_AT, line

SHOP = "Faden & Co. Textil"
MADRID = ZoneInfo("Europe/Madrid")
ACCOUNT = BankAccount(account_holder="Faden & Co. Textil GmbH", iban="DE89370400440532013000",
                      bic="COBADEFFXXX", bank_name="Commerzbank Berlin")
LOCALES = ("en", "es")
# How the emails write "2 of": spelled out, for ruff takes the sign for a mistyped x.
TIMES = "\N{MULTIPLICATION SIGN}"


def an_order(**changes: Any) -> OrderView:
    """Order 1042 of two lines, 21 % tax on top, waiting for its payment."""
    sold = (line("SANDAL-42", 2), line("BOOT-38", 1, 8_900))
    order = OrderView(
        id=uuid4(), number=1042, status=OrderStatus.PENDING_PAYMENT, currency="EUR",
        customer=CUSTOMER, lines=sold, subtotal=11_400, shipping=495, tax_rate="0.21",
        tax=2_498, total=14_393, shipping_address=ADDRESS, billing_address=ADDRESS,
        payment_method="card", shipping_method="postnl", shipping_method_name="PostNL",
        placed_at=PLACED_AT, paid_at=None, shipped_at=None, cancelled_at=None,
        updated_at=PLACED_AT, payment_reference=None, tracking_number=None,
        cancel_reason=None, version=1)
    return replace(order, **changes)


def feed_data(event: DomainEvent) -> dict[str, Any]:
    """An event's data as the event feed gives it (JSON: strings, numbers, lists)."""
    return encode(event)


def example_event(kind: str) -> dict[str, Any]:
    """The feed's data of an example event that makes an email of `kind`."""
    order_id = uuid4()
    events: dict[str, DomainEvent] = {
        "paid": OrderPaid(order_id=order_id, payment_reference="psp-1", paid_at=LATER),
        "shipped": OrderShipped(order_id=order_id, tracking_number="3SABCD1234",
                                shipped_at=LATER),
        "cancelled": OrderCancelled(order_id=order_id, reason=None, returned_stock=(),
                                    cancelled_at=LATER),
        "refunded": OrderRefunded(order_id=order_id, amount=2_500, currency="EUR",
                                  reason="one was torn", lines=(StockQuantity("SANDAL-42", 1),),
                                  refunded_at=LATER),
        "corrected": OrderDetailsCorrected(
            order_id=order_id, shipping_address=AddressCorrection(ADDRESS, NEW_ADDRESS),
            corrected_at=LATER),
    }
    # OrderPlaced's own data is never read: the order is all the placed email tells.
    return feed_data(events[kind]) if kind in events else {"number": 1042}


def render(kind: str, locale: str = "en", *, order: OrderView | None = None,
           event: dict[str, Any] | None = None,
           instructions: PaymentInstructions | None = None,
           templates: JinjaEmailTemplates | None = None) -> RenderedEmail:
    """The email of `kind` about order 1042 (or `order`), told by Faden & Co. in Madrid."""
    templates = templates or JinjaEmailTemplates(shop_name=SHOP, locale=locale,
                                                 time_zone=MADRID)
    facts = EmailFacts(kind=kind, order=order or an_order(),
                       event=example_event(kind) if event is None else event,
                       happened_at=LATER, instructions=instructions)
    return templates.render(facts)


def bank_transfer(account: BankAccount | None = ACCOUNT) -> BankTransferInstructions:
    """Pay order 1042's total into the shop's account, quoting 'Order 1042'."""
    return BankTransferInstructions(account=account, amount=14_393, currency="EUR",
                                    reference="Order 1042")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", EMAIL_KINDS.values())
def test_every_kind_of_email_names_the_order_and_the_shop_in_each_language(
    kind: str, locale: str,
) -> None:
    rendered = render(kind, locale)
    assert "1042" in rendered.subject
    assert SHOP in rendered.subject
    assert "\n" not in rendered.subject
    for part in (rendered.text, rendered.html):
        assert "1042" in part
    assert SHOP in rendered.text
    assert "Faden &amp; Co. Textil" in rendered.html
    assert f'<html lang="{locale}">' in rendered.html


def test_the_two_languages_tell_the_same_email_in_different_words() -> None:
    english, spanish = render("placed", "en"), render("placed", "es")
    assert english.subject.startswith("We have received your order #1042")
    assert spanish.subject.startswith("Hemos recibido tu pedido n.º 1042")
    assert "Hola, Ada Lovelace:" in spanish.text
    assert "Gracias por tu pedido" in spanish.html


def test_an_email_without_a_shop_name_says_nothing_of_one() -> None:
    templates = JinjaEmailTemplates(shop_name=None, time_zone=MADRID)
    rendered = render("placed", templates=templates)
    assert rendered.subject == "We have received your order #1042"
    assert "None" not in rendered.text + rendered.html


def test_the_placed_email_lists_the_lines_totals_and_both_addresses() -> None:
    text = render("placed").text
    assert f"2 {TIMES} Product SANDAL-42 (SANDAL-42): €25.00" in text
    for shown in ("Subtotal: €114.00", "Shipping with PostNL: €4.95", "Tax (21%): €24.98",
                  "Total: €143.93", "Shipping address:", "Billing address:",
                  "Keizersgracht 1", "1015 CJ Amsterdam", "Netherlands"):
        assert shown in text


@pytest.mark.parametrize(("locale", "shown"), [
    ("en", ["Account holder: Faden & Co. Textil GmbH", "IBAN: DE89 3704 0044 0532 0130 00",
            "BIC: COBADEFFXXX", "Amount: €143.93", "Reference: Order 1042"]),
    ("es", ["Titular: Faden & Co. Textil GmbH", "IBAN: DE89 3704 0044 0532 0130 00",
            "BIC: COBADEFFXXX", "Importe: 143,93 €", "Concepto: Order 1042"]),
])
def test_a_bank_transfer_customer_is_told_where_to_pay_and_the_reference_to_quote(
    locale: str, shown: list[str],
) -> None:
    rendered = render("placed", locale, order=an_order(payment_method="bank_transfer"),
                      instructions=bank_transfer())
    for words in shown:
        assert words in rendered.text
    assert "DE89 3704 0044 0532 0130 00" in rendered.html
    assert '<td class="reference">Order 1042</td>' in rendered.html


def test_a_bank_transfer_without_the_shops_account_still_gives_amount_and_reference() -> None:
    text = render("placed", instructions=bank_transfer(account=None)).text
    assert "Reference: Order 1042" in text
    assert "IBAN" not in text
    assert "get in touch with us for our bank details" in text


def test_a_cash_on_delivery_customer_is_told_the_amount_to_have_ready() -> None:
    cash = CashOnDeliveryInstructions(amount=14_393, currency="EUR")
    assert "Ten preparados 143,93 €" in render("placed", "es", instructions=cash).text
    assert "Please have <strong>€143.93</strong> ready" in render(
        "placed", instructions=cash).html


def test_an_order_paid_online_gets_no_payment_instructions() -> None:
    text = render("placed").text
    assert "BANK TRANSFER" not in text
    assert "We will let you know as soon as it is on its way." in text


def test_the_shipped_email_gives_the_tracking_number() -> None:
    rendered = render("shipped")
    assert "Tracking number: 3SABCD1234" in rendered.text
    assert '<span class="tracking">3SABCD1234</span>' in rendered.html


def test_a_parcel_without_a_tracking_number_is_shipped_without_one() -> None:
    event = feed_data(OrderShipped(order_id=uuid4(), tracking_number=None, shipped_at=LATER))
    rendered = render("shipped", "es", event=event)
    assert "seguimiento" not in rendered.text
    assert "salió el 14 de marzo de 2026, 11:26 CET con PostNL" in rendered.text


@pytest.mark.parametrize(("locale", "told"), [
    ("en", "Reason: payment not received in time."),
    ("es", "Motivo: no recibimos el pago a tiempo."),
])
def test_an_order_not_paid_in_time_is_told_so_in_the_customers_words(
    locale: str, told: str,
) -> None:
    event = feed_data(OrderCancelled(order_id=uuid4(), reason=PAYMENT_TIMEOUT,
                                     returned_stock=(), cancelled_at=LATER))
    rendered = render("cancelled", locale, event=event)
    assert told in rendered.text
    assert told in rendered.html
    assert PAYMENT_TIMEOUT not in rendered.text + rendered.html


def test_a_merchants_cancel_reason_is_shown_as_written() -> None:
    event = feed_data(OrderCancelled(order_id=uuid4(), reason="Sold out at the supplier",
                                     returned_stock=(), cancelled_at=LATER))
    assert "Motivo: Sold out at the supplier" in render("cancelled", "es", event=event).text


def test_a_cancellation_without_a_reason_gets_a_neutral_sentence() -> None:
    text = render("cancelled").text
    assert "Reason" not in text
    assert "If you did not expect this or have any questions" in text


def test_the_refund_email_gives_the_amount_the_reason_and_the_goods() -> None:
    english, spanish = render("refunded", "en"), render("refunded", "es")
    assert "We refunded €25.00 on your order #1042" in english.text
    assert "Reason: one was torn" in english.text
    assert f"1 {TIMES} Product SANDAL-42" in english.text
    assert "Te hemos reembolsado 25,00 € de tu pedido n.º 1042" in spanish.text


def test_the_correction_email_shows_the_new_address_not_the_old_one() -> None:
    rendered = render("corrected", "es")
    assert "Dirección de envío:\nAda Lovelace\nHerengracht 502\n1017 CB Amsterdam" in \
        rendered.text
    assert "Keizersgracht" not in rendered.text + rendered.html
    assert "Tus datos de contacto" not in rendered.text


def test_the_correction_email_shows_new_contact_details() -> None:
    event = {"customer": {"old": {"name": "Ada Lovelace", "email": "ada@example.org",
                                  "phone": None},
                          "new": {"name": "Ada King", "email": "ada.king@example.org",
                                  "phone": None}},
             "shipping_address": None, "billing_address": None}
    order = an_order(customer=Customer(name="Ada King", email="ada.king@example.org"))
    text = render("corrected", event=event, order=order).text
    assert "Your contact details:\nAda King\nada.king@example.org" in text


@pytest.mark.parametrize(("amount", "currency", "locale", "shown"), [
    (1_250, "EUR", "en", "€12.50"),
    (1_250, "EUR", "es", "12,50 €"),
    (123_456, "EUR", "en", "€1,234.56"),
    (123_456, "EUR", "es", "1234,56 €"),
    (1_234_567, "EUR", "es", "12.345,67 €"),
    (4_990, "JPY", "en", "¥4,990"),
    (49_900, "JPY", "es", "49.900 JPY"),
    (12_345, "BHD", "en", "12.345 BHD"),
    (1_250, "CHF", "en", "12.50 CHF"),
    (-1_250, "GBP", "en", "-£12.50"),
    (5, "USD", "es", "0,05 US$"),
])
def test_money_is_written_from_minor_units_as_the_language_writes_it(
    amount: int, currency: str, locale: str, shown: str,
) -> None:
    assert money(amount, currency, CONVENTIONS[locale]) == shown


def test_an_email_in_yen_has_no_decimals() -> None:
    order = an_order(currency="JPY", lines=(line("TEA-1", 2, 1_500),), subtotal=3_000,
                     shipping=500, tax=350, total=3_850)
    assert "Total: ¥3,850" in render("placed", order=order).text


def test_times_are_shown_in_the_shops_time_zone() -> None:
    templates = JinjaEmailTemplates(shop_name=SHOP, time_zone=ZoneInfo("America/New_York"))
    assert "on 14 March 2026, 06:26 EDT" in render("paid", templates=templates).text
    assert "el 14 de marzo de 2026, 11:26 CET" in render("paid", "es").text


def test_a_customer_named_like_a_script_is_escaped_in_html_and_as_typed_in_text() -> None:
    name = "<script>alert(1)</script>"
    order = an_order(customer=Customer(name=name, email="x@example.org"))
    rendered = render("placed", order=order)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert f"Hello {name}," in rendered.text


def test_a_merchants_template_wins_over_the_packaged_one(tmp_path: Path) -> None:
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "shipped.subject.txt").write_text(
        "¡Tu pedido {{ order.number }} ya vuela!\n", encoding="utf-8")
    templates = JinjaEmailTemplates(shop_name=SHOP, locale="es", time_zone=MADRID,
                                    folder=tmp_path)
    assert render("shipped", templates=templates).subject == "¡Tu pedido 1042 ya vuela!"
    # What the merchant did not write is the packaged template.
    assert render("paid", templates=templates).subject.startswith("Hemos recibido el pago")


def test_a_merchants_layout_frames_every_html_email(tmp_path: Path) -> None:
    (tmp_path / "_layout.html").write_text(
        "<main class=mine>{% block content %}{% endblock %}</main>", encoding="utf-8")
    templates = JinjaEmailTemplates(shop_name=SHOP, time_zone=MADRID, folder=tmp_path)
    assert render("paid", templates=templates).html.startswith("<main class=mine>")


def test_a_template_typo_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "paid.txt").write_text("Order {{ order.numbr }}", encoding="utf-8")
    templates = JinjaEmailTemplates(shop_name=SHOP, time_zone=MADRID, folder=tmp_path)
    with pytest.raises(UndefinedError, match="numbr"):
        render("paid", templates=templates)


def test_a_broken_template_is_refused_when_the_templates_are_made(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "paid.html").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(TemplateSyntaxError):
        JinjaEmailTemplates(shop_name=SHOP, time_zone=MADRID, folder=tmp_path)


def test_an_unknown_locale_is_refused_naming_the_supported_ones() -> None:
    with pytest.raises(ValueError, match="supported locales are en, es"):
        JinjaEmailTemplates(shop_name=SHOP, locale="de", time_zone=MADRID)


def test_a_missing_templates_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        JinjaEmailTemplates(shop_name=SHOP, time_zone=MADRID, folder=tmp_path / "nowhere")


def test_the_subject_is_one_line_however_a_template_spreads_it(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "paid.subject.txt").write_text(
        "Paid:\n  order {{ order.number }}\n", encoding="utf-8")
    templates = JinjaEmailTemplates(shop_name=SHOP, time_zone=MADRID, folder=tmp_path)
    assert render("paid", templates=templates).subject == "Paid: order 1042"


def test_the_mime_message_is_text_then_html_with_its_headers() -> None:
    rendered = render("placed", "es", instructions=bank_transfer())
    message = mime_message(rendered, to="Ada Lovelace <ada@example.org>",
                           sender=f'"{SHOP}" <shop@faden.example>',
                           message_id="<e1@order-service>",
                           sent_at=datetime(2026, 3, 14, 10, 0, tzinfo=UTC))
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content() == rendered.text
    assert html.get_content() == rendered.html
    assert message["Subject"] == rendered.subject
    assert message["To"] == "Ada Lovelace <ada@example.org>"
    assert message["From"].addresses[0].display_name == SHOP
    assert message["Message-ID"] == "<e1@order-service>"
    assert message["Date"] == "Sat, 14 Mar 2026 10:00:00 +0000"


def test_the_preview_is_the_whole_message_as_it_would_be_sent() -> None:
    rendered = render("shipped", "es")
    text = preview(rendered, to="ada@example.org", sender="shop@faden.example",
                   message_id="<e2@order-service>")
    parsed = email.message_from_string(text, policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == rendered.subject
    assert parsed["Date"] is not None
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content() == rendered.text
