"""Correcting an order's contact details or an address from the back office: the forms as
typed, and a correction told as a merchant reads it ("Calle Mayor 1 → Calle Mayor 10")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from order_service.api.admin import order_actions
from order_service.api.errors import BadInput
from order_service.api.schemas.after_sale import CorrectionIn
from order_service.application.commands import CorrectOrderDetails
from order_service.application.views import OrderView
from order_service.domain.errors import IllegalTransition

# The parts of an order a correction replaces, each with the fields of its form, in the
# order an envelope or a contact card lists them.
PARTS = {"customer": "Contact details", "shipping_address": "Shipping address",
         "billing_address": "Billing address"}
CUSTOMER_FIELDS = ("name", "email", "phone")
ADDRESS_FIELDS = ("name", "line1", "line2", "postal_code", "city", "region", "country")
FIELD_LABELS = {"name": "Name", "email": "Email", "phone": "Phone", "line1": "Street",
                "line2": "Flat, floor (optional)", "postal_code": "Postal code",
                "city": "Town", "region": "Region (optional)", "country": "Country"}
OPTIONAL = frozenset({"phone", "line2", "region"})
NONE = "(none)"

Draft = dict[str, str]


class DetailsForm(BaseModel):
    """A correction form as the browser sends it: which part, and its fields as typed."""

    part: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""

    def checked_part(self) -> str:
        """The part the form corrects, or BadInput for a form this page never sends."""
        if self.part not in PARTS:
            raise BadInput(f"an order has no part {self.part[:40]!r} to correct")
        return self.part

    def draft(self) -> Draft:
        """The part's fields as typed, to show the form again as it was sent."""
        return {name: getattr(self, name) for name in fields_of(self.checked_part())}

    def to_command(self, order_id: UUID, version: int) -> CorrectOrderDetails:
        """The correction the form asks for, on `version`; ValidationError as the API's."""
        # An optional field left empty is no value (None), as the API takes it.
        given = {name: (value.strip() or None) if name in OPTIONAL else value
                 for name, value in self.draft().items()}
        body = CorrectionIn.model_validate({self.checked_part(): given})
        return body.to_command(order_id, version)


def correctable(order: OrderView, now: datetime) -> bool:
    """Whether the order's status still lets its details be corrected."""
    try:
        # Asked of the aggregate, so the page never restates which statuses allow it.
        order_actions.aggregate(order).correct_details(now=now)
    except IllegalTransition:
        return False
    return True


def fields_of(part: str) -> tuple[str, ...]:
    """The fields of a part's form."""
    return CUSTOMER_FIELDS if part == "customer" else ADDRESS_FIELDS


def drafts_of(order: OrderView) -> dict[str, Draft]:
    """Each part's form filled in with what the order has now."""
    return {part: {name: str(value or "") for name, value in asdict(getattr(order, part)).items()
                   if name in fields_of(part)}
            for part in PARTS}


def changes(old: Mapping[str, Any], new: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    """What a correction changed, field by field: "Calle Mayor 1 → Calle Mayor 10"."""
    return "; ".join(f"{old.get(name) or NONE} → {new.get(name) or NONE}"
                     for name in fields if (old.get(name) or None) != (new.get(name) or None))


def told(data: Mapping[str, Any]) -> tuple[str, list[str]]:
    """An OrderDetailsCorrected's title and details: the part (or "Details") corrected,
    and for each part its changes."""
    corrected = [(part, data[part]) for part in PARTS if data.get(part)]
    details = [changes(part_data.get("old") or {}, part_data.get("new") or {}, fields_of(part))
               for part, part_data in corrected]
    if len(corrected) == 1:
        return f"{PARTS[corrected[0][0]]} corrected", details
    return "Details corrected", [f"{PARTS[part]}: {detail}"
                                 for (part, _), detail in zip(corrected, details, strict=True)]
