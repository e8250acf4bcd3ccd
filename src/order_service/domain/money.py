"""Money as integer minor units with an ISO 4217 currency; never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Active ISO 4217 codes (funds and precious-metal codes left out: a shop does not price
# sandals in troy ounces of gold).
ISO_4217_CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 (a table reads better than 180 quoted strings)
)


def is_currency(code: str) -> bool:
    """Tell whether `code` is an active ISO 4217 currency code."""
    return code in ISO_4217_CURRENCIES


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for EUR, yen for JPY) of one currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; True cents would be a bug, not a price.
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"money amounts are integer minor units, got {self.amount!r}")
        if not is_currency(self.currency):
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code")

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in `currency`."""
        return cls(0, currency)

    def __add__(self, other: Money) -> Money:
        self._require_same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        """This amount `quantity` times over (a line total)."""
        return Money(self.amount * quantity, self.currency)

    def percentage(self, rate: Decimal) -> Money:
        """`rate` of this amount, rounded half-up to a whole minor unit (tax)."""
        exact = Decimal(self.amount) * rate
        return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), self.currency)

    def _require_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
