"""The back office's products: stock per product, and receiving new stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from order_service.api.admin.errors import AdminRoute
from order_service.api.admin.flash import Flash
from order_service.api.admin.pages import render
from order_service.api.admin.sessions import (
    CheckedFormDep,
    SignedInDep,
    command_context,
    sessions_of,
)
from order_service.api.deps import ShopDep
from order_service.api.schemas.catalogue import RestockIn
from order_service.application import queries
from order_service.application.access import Permission, require
from order_service.application.commands import RestockProduct
from order_service.domain.errors import NotFound, OrderServiceError

router = APIRouter(prefix="/admin/products", route_class=AdminRoute, include_in_schema=False)


@router.get("")
def products_page(request: Request, session: SignedInDep, shop: ShopDep) -> Response:
    """Every product with its price and stock; out-of-stock ones stand out."""
    products = queries.list_products(shop.storage)
    return render(request, "products.html", session, products=products,
                  out_of_stock=sum(not product.in_stock for product in products))


@router.post("/{sku}/restock")
def restock(request: Request, sku: str, session: CheckedFormDep, shop: ShopDep,
            quantity: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Receive stock for one product, then show the products with what came of it."""
    require(session.principal, Permission.MANAGE_CATALOGUE)
    product = queries.get_product(shop.storage, sku)
    try:
        received = RestockIn.model_validate({"quantity": int(quantity)}).quantity
    except (ValueError, ValidationError):
        flash = Flash.error(f"{product.sku} was not restocked",
                            "The quantity must be a whole number from 1 to 1,000,000.")
    else:
        try:
            restocked = shop.restock_product(RestockProduct(sku=product.sku, quantity=received),
                                             command_context(request, session))
        except NotFound:
            raise
        except OrderServiceError as refusal:
            flash = Flash.error(f"{product.sku} was not restocked", str(refusal))
        else:
            flash = Flash.success(f"Restocked {restocked.sku}: +{received}",
                                  f"Now {restocked.available} available.")
    sessions_of(request).leave_flash(session.token, flash.to_json())
    return RedirectResponse("/admin/products", status_code=303)
