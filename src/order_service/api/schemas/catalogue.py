"""Bodies of the catalogue routes: products, restocks and shipping methods."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from order_service.api.schemas.fields import (
    Code,
    Currency,
    MinorUnits,
    Name,
    Quantity,
    Sku,
    StockLevel,
)
from order_service.application.views import ProductView, ShippingMethodView


class ProductIn(BaseModel):
    """A new product: its SKU, name, price in minor units and opening stock."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"sku": "SANDAL-42", "name": "Leather sandals, size 42", "price": 4990, "stock": 2}
        ]},
    )

    sku: Sku
    name: Name
    price: MinorUnits
    stock: StockLevel
    currency: Currency | None = Field(
        default=None, description="Optional; if given it must be the shop currency"
    )


class RestockIn(BaseModel):
    """How many items arrived."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"quantity": 10}]})

    quantity: Quantity


class ProductOut(BaseModel):
    """A product and its stock."""

    sku: str
    name: str
    price: int = Field(description="Integer minor units")
    currency: str
    available: int = Field(description="Items that can be bought now")
    in_stock: bool = Field(description="Whether at least one item can be bought (false "
                           "when none is left or the product is retired)")
    retired: bool = Field(description="No longer sold: a new order for it is refused "
                          "(409 product-retired); orders that have it still show it")
    added_at: datetime
    updated_at: datetime
    retired_at: datetime | None

    @classmethod
    def from_view(cls, view: ProductView) -> ProductOut:
        """Map the application's product view."""
        return cls(
            sku=view.sku, name=view.name, price=view.price, currency=view.currency,
            available=view.available, in_stock=view.in_stock,
            retired=view.retired_at is not None, added_at=view.added_at,
            updated_at=view.updated_at, retired_at=view.retired_at,
        )


class ProductChangeIn(BaseModel):
    """A product's new name and/or price, for every order placed from now on."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Leather sandals, size 42, tan",
                                         "price": 5490}]},
    )

    name: Name | None = None
    price: MinorUnits | None = None
    currency: Currency | None = Field(
        default=None, description="Optional; if given it must be the shop currency"
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> ProductChangeIn:
        if self.name is None and self.price is None:
            raise ValueError("send name, price or both")
        return self


class ShippingMethodIn(BaseModel):
    """A shipping option the storefront can offer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code": "standard", "name": "Standard (3-5 days)",
                                         "price": 495}]},
    )

    code: Code
    name: Name
    price: MinorUnits
    currency: Currency | None = Field(
        default=None, description="Optional; if given it must be the shop currency"
    )


class ShippingMethodOut(BaseModel):
    """A shipping option and its price."""

    code: str
    name: str
    price: int = Field(description="Integer minor units")
    currency: str

    @classmethod
    def from_view(cls, view: ShippingMethodView) -> ShippingMethodOut:
        """Map the application's shipping-method view."""
        return cls(code=view.code, name=view.name, price=view.price, currency=view.currency)
