"""Settings: the only reader of the environment (variables prefixed ORDER_SERVICE_)."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from order_service.domain.money import is_currency
from order_service.domain.payment_hold import PaymentHold
from order_service.domain.payment_instructions import (
    DEFAULT_REFERENCE,
    BankAccount,
    TransferTerms,
    bic_from_text,
    iban_from_text,
    reference_template_from_text,
)
from order_service.domain.pricing import ShopTerms

DEFAULT_DATABASE_URL = "sqlite:///order-service.db"
# Published in this file, so it protects nothing: fit only for trying the service out on
# the default SQLite file, and refused at start anywhere else.
PLACEHOLDER_CURSOR_SECRET = "order-service-cursors"  # noqa: S105
DEFAULT_PAYMENT_METHODS = ("bank_transfer", "card", "paypal", "cash_on_delivery")
OPENSTREETMAP_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
NOMINATIM = "https://nominatim.openstreetmap.org"
# A year: a longer payment hold is more likely minutes or seconds typed as hours.
MAX_PAYMENT_HOLD_HOURS = 8760


class Settings(BaseSettings):
    """How this shop's order-service runs; every field can be set from the environment."""

    model_config = SettingsConfigDict(env_prefix="ORDER_SERVICE_", frozen=True, extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; sqlite:///FILE (default, in the working directory) "
        "or postgresql://user@host:port/db",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL `migrate` (and `serve`, before it starts) changes the "
        "schema with: the role that owns the tables, so that the service's own role need "
        "not (see README, Least privilege); unset = ORDER_SERVICE_DATABASE_URL",
    )
    currency: str = Field(default="EUR", description="ISO 4217 code every price is in")
    tax_rate: Decimal = Field(
        default=Decimal("0.21"), ge=0, lt=1, max_digits=6, decimal_places=4,
        description="Tax as a fraction, e.g. 0.21 for 21 %",
    )
    tax_applies_to_shipping: bool = Field(
        default=True, description="Whether shipping is taxed like the goods"
    )
    payment_methods: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_PAYMENT_METHODS,
        description="Comma-separated payment methods the shop accepts",
    )
    # Also the number of threads a worker runs routes in. More threads than this fight
    # over the GIL: on 2 cores, 4 placed ~1.3x the orders 10 did (median of 3 A/B pairs).
    db_pool_size: int = Field(default=4, ge=1, le=100)
    # libpq waits at least 2 s for a connection, whatever it is asked.
    db_connect_timeout_seconds: float = Field(default=3.0, ge=2, le=60)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    db_statement_timeout_ms: int = Field(default=10_000, ge=100, le=600_000)
    request_timeout_seconds: float = Field(
        default=20.0, gt=0, le=600,
        description="A request with no response by then is answered 503 (Retry-After)",
    )
    stream_idle_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3600,
        description="A streamed answer (an export page) whose client takes none of it for "
        "this long is cut off",
    )
    shutdown_grace_seconds: int = Field(
        default=20, ge=1, le=3600,
        description="On SIGTERM, how long requests in flight may take to finish before "
        "they are cut off and the server stops",
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="json: one JSON object per line (for log storage); text: for a human",
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info", description="The least severe log lines written; info includes one "
        "line per request",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="If set, GET /metrics asks for Authorization: Bearer <this token>",
    )
    idempotency_key_ttl_seconds: int = Field(
        default=24 * 3600, ge=1, description="How long an Idempotency-Key is remembered"
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused with 413"
    )
    payment_gateway_secret: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        default=(),
        description="Shared secret(s) that sign payment notifications; comma-separated "
        "while rotating (every listed secret is accepted)",
    )
    payment_signature_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated storefront origins allowed to call the API from a "
        "browser, e.g. https://shop.example.com; none by default",
    )
    rate_limit_per_minute: int = Field(
        default=0, ge=0, description="Requests per minute per API key and worker; 0 = off"
    )
    payment_hold_hours: float = Field(
        default=72.0, ge=0, le=MAX_PAYMENT_HOLD_HOURS,
        description="Hours an unpaid order keeps its stock before it is cancelled with reason "
        "payment_timeout; 0 = never",
    )
    expiry_sweep_seconds: float = Field(
        default=60.0, gt=0, le=86_400,
        description="How often each server worker looks for unpaid orders past the hold",
    )
    cursor_secret: str = Field(
        default=PLACEHOLDER_CURSOR_SECRET,
        min_length=8,
        description="Key that makes page cursors tamper-evident; the same on every instance",
    )
    nats_url: str | None = Field(
        default=None,
        description="NATS server(s) to publish every stored event to (JetStream), e.g. "
        "nats://127.0.0.1:4222, comma-separated for a cluster; unset = no relay",
    )
    nats_stream: str = Field(
        default="ORDERS", pattern=r"^[A-Za-z0-9_-]{1,100}$",
        description="JetStream stream the events go to (made if missing)",
    )
    nats_subject_prefix: str = Field(
        default="orders", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
        description="Each event is published on <prefix>.<EventType>, e.g. orders.OrderPaid",
    )
    relay_batch_size: int = Field(
        default=500, ge=1, le=4000,
        description="Events published before awaiting JetStream's acknowledgements",
    )
    relay_lease_seconds: float = Field(
        default=15.0, ge=1, le=600,
        description="A standby relay takes over after the publishing one is silent this long",
    )
    smtp_url: str | None = Field(
        default=None,
        description="SMTP server the order emails go through: smtp://user:password@host:587 "
        "(STARTTLS) or smtps://user:password@host:465 (TLS); unset = no emails",
    )
    mail_from: str | None = Field(
        default=None,
        description="The From of the order emails, e.g. 'Tienda Sol <pedidos@tiendasol.es>'; "
        "needed with ORDER_SERVICE_SMTP_URL",
    )
    locale: str = Field(
        default="en", pattern=r"^(en|es)$",
        description="Language of the order emails: en or es",
    )
    email_templates: str | None = Field(
        default=None,
        description="A folder of your own email templates (<locale>/<kind>.subject.txt, "
        ".txt, .html); a file there replaces the packaged one",
    )
    time_zone: str = Field(
        default="UTC",
        description="IANA time zone the back office shows times and days in, e.g. "
        "Europe/Madrid",
    )
    map_tile_url: str | None = Field(
        default=OPENSTREETMAP_TILES,
        description="Tile URL template ({z}, {x}, {y}; optionally {s}. as the first part "
        "of the host) of the order page's map; empty = no map",
    )
    map_attribution: str = Field(
        default="© OpenStreetMap contributors", max_length=300,
        description="Credit the map shows for its tiles (plain text)",
    )
    geocoder_url: str | None = Field(
        default=NOMINATIM,
        description="Nominatim-compatible geocoder that finds each shipping address once, "
        "for the map; empty = none (and no map)",
    )
    geocoder_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60,
        description="Give up on one geocoder request after this long (it is retried later)",
    )
    admin_session_hours: float = Field(
        default=12.0, gt=0, le=720,
        description="A back-office (/admin) sign-in lasts this long at most; two idle "
        "hours (or this, if shorter) also end it",
    )
    shop_name: str | None = Field(
        default=None, max_length=200,
        description="The shop's (legal) name, printed at the top of every receipt",
    )
    shop_address: str | None = Field(
        default=None, max_length=500,
        description="The shop's address under its name on receipts; a line feed or ' | ' "
        "starts a new line",
    )
    bank_account_holder: str | None = Field(
        default=None, max_length=70,
        description="Name on the account bank-transfer customers pay into (as the bank "
        "has it: banks may check it against the IBAN)",
    )
    bank_iban: str | None = Field(
        default=None,
        description="IBAN of that account; spaces allowed, the check digits are checked",
    )
    bank_bic: str | None = Field(default=None, description="BIC (SWIFT code) of that bank")
    bank_name: str | None = Field(default=None, max_length=140, description="That bank's name")
    bank_reference: str = Field(
        default=DEFAULT_REFERENCE,
        description="What customers write as the transfer's reference; {number} is the "
        "order number, e.g. 'Order {number}'",
    )

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        code = value.strip().upper()
        if not is_currency(code):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR, USD, GBP)")
        return code

    @field_validator("time_zone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        name = value.strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone name (e.g. UTC, "
                             "Europe/Madrid, America/New_York)") from None
        return name

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if value is not None:
            tile_source(value)
        return value

    @field_validator("geocoder_url")
    @classmethod
    def _geocoder(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlsplit(value.strip())
        if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
            raise ValueError(f"{value!r} is not a geocoder's http(s) address, e.g. "
                             f"{NOMINATIM}")
        return url.geturl().rstrip("/")

    @field_validator("nats_url", "metrics_token", "map_tile_url", "geocoder_url",
                     "migration_database_url", "shop_name", "shop_address", "smtp_url",
                     "mail_from", "email_templates",
                     "bank_account_holder", "bank_iban", "bank_bic", "bank_name", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # docker-compose and shells often pass an empty variable for "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("shop_name", "bank_account_holder", "bank_name")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().isprintable():
            raise ValueError("must be one line of printable text")
        return None if value is None else value.strip()

    @field_validator("bank_iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        return None if value is None else iban_from_text(value)

    @field_validator("bank_bic")
    @classmethod
    def _bic(cls, value: str | None) -> str | None:
        return None if value is None else bic_from_text(value)

    @field_validator("bank_reference")
    @classmethod
    def _reference(cls, value: str) -> str:
        return reference_template_from_text(value)

    @model_validator(mode="after")
    def _whole_bank_account(self) -> Settings:
        # Half an account would send customers' money nowhere: refuse it at start.
        given = {name: getattr(self, name) is not None for name in (
            "bank_account_holder", "bank_iban", "bank_bic", "bank_name")}
        if any(given.values()) and not (given["bank_iban"] and given["bank_account_holder"]):
            missing = [f"ORDER_SERVICE_{name.upper()}" for name in ("bank_account_holder",
                       "bank_iban") if not given[name]]
            raise ValueError(f"bank details are incomplete: set {' and '.join(missing)} too "
                             "(a transfer needs the account holder and the IBAN), or none")
        return self

    @model_validator(mode="after")
    def _emails_from_someone(self) -> Settings:
        # An email with no From is refused by every server: say so at start, not later.
        if self.smtp_url is not None and self.mail_from is None:
            raise ValueError("ORDER_SERVICE_SMTP_URL is set but ORDER_SERVICE_MAIL_FROM is "
                             "not: set the From of the order emails, e.g. "
                             "'Tienda Sol <pedidos@tiendasol.es>'")
        if self.smtp_url is not None and not self.smtp_url.startswith(("smtp://",
                                                                        "smtps://")):
            raise ValueError("ORDER_SERVICE_SMTP_URL must start with smtp:// (STARTTLS) or "
                             "smtps:// (TLS), e.g. smtp://user:password@mail.internal:587")
        return self

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @field_validator("payment_gateway_secret", mode="before")
    @classmethod
    def _secrets(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("payment_methods", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if not value:
            raise ValueError("name at least one payment method, e.g. card,bank_transfer")
        return value

    def require_own_cursor_secret(self) -> None:
        """Refuse (PlaceholderSecret) the placeholder cursor secret on any database but the
        default SQLite file: anyone could forge page cursors with it."""
        if (self.cursor_secret == PLACEHOLDER_CURSOR_SECRET
                and self.database_url != DEFAULT_DATABASE_URL):
            raise PlaceholderSecret(
                f"ORDER_SERVICE_CURSOR_SECRET is still the placeholder "
                f"{PLACEHOLDER_CURSOR_SECRET!r}, which anyone can read in order-service's "
                "source and forge page cursors with: set it to a random value of your own, "
                "the same on every instance (e.g. python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'); only the default database, "
                f"{DEFAULT_DATABASE_URL}, may run with the placeholder"
            )

    def migration_url(self) -> str:
        """The URL migrations run with: the owner role's if set, else the service's own."""
        return self.migration_database_url or self.database_url

    def payment_hold(self) -> PaymentHold:
        """How long unpaid orders keep their stock."""
        return PaymentHold.of_hours(self.payment_hold_hours)

    def zone(self) -> ZoneInfo:
        """The shop's time zone."""
        return ZoneInfo(self.time_zone)

    def transfer_terms(self) -> TransferTerms:
        """Where bank-transfer customers pay, and the reference they quote."""
        account = None
        if self.bank_iban is not None and self.bank_account_holder is not None:
            account = BankAccount(account_holder=self.bank_account_holder, iban=self.bank_iban,
                                  bic=self.bank_bic, bank_name=self.bank_name)
        return TransferTerms(account=account, reference_template=self.bank_reference)

    def shop_terms(self) -> ShopTerms:
        """The pricing terms every order is placed under."""
        return ShopTerms(
            currency=self.currency,
            tax_rate=self.tax_rate,
            payment_methods=self.payment_methods,
            tax_applies_to_shipping=self.tax_applies_to_shipping,
        )


# What a tile URL's host may hold: a Content-Security-Policy names it, so nothing that
# could end the source or add another (spaces, quotes, ';', ',').
_TILE_HOST = re.compile(r"(\{s\}\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?")


def tile_source(template: str) -> str:
    """The CSP source that admits the tiles of `template` (ValueError if it is no tile URL).

    https://{s}.tile.example.org/{z}/{x}/{y}.png -> https://*.tile.example.org
    """
    url = urlsplit(template)
    if (url.scheme not in ("http", "https") or not _TILE_HOST.fullmatch(url.netloc)
            or any(part not in template for part in ("{z}", "{x}", "{y}"))
            or any(char.isspace() for char in template)):
        raise ValueError(f"{template!r} is not a tile URL template such as "
                         f"{OPENSTREETMAP_TILES} ({{s}}. may start the host)")
    return f"{url.scheme}://{url.netloc.replace('{s}', '*')}"


class PlaceholderSecret(ValueError):
    """A secret left at its published default where it would protect something."""


@lru_cache
def get_settings() -> Settings:
    """The settings from the environment, read once."""
    return Settings()
