"""The back office's products: stock per product, receiving new stock, and changing what
the shop sells (a product's name and price, or no longer selling it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from order_service.api.admin.amounts import in_code, minor_units
from order_service.api.admin.errors import AdminRoute, form_problem, reason_of
from order_service.api.admin.flash import Flash
from order_service.api.admin.pages import render
from order_service.api.admin.sessions import (
    CheckedFormDep,
    SignedInDep,
    command_context,
    sessions_of,
)
from order_service.api.deps import ShopDep
from order_service.api.schemas.catalogue import ProductChangeIn, RestockIn
from order_service.application import queries
from order_service.application.access import Permission, require
from order_service.application.commands import ChangeProduct, RestockProduct, RetireProduct
from order_service.application.views import ProductView
from order_service.domain.errors import NotFound, OrderServiceError

router = APIRouter(prefix="/admin/products", route_class=AdminRoute, include_in_schema=False)


@router.get("")
def products_page(request: Request, session: SignedInDep, shop: ShopDep) -> Response:
    """Every product with its price and stock; out-of-stock and retired ones stand out."""
    products = queries.list_products(shop.storage)
    retired = sum(product.retired_at is not None for product in products)
    return render(request, "products.html", session, products=products, retired=retired,
                  out_of_stock=sum(not product.in_stock for product in products) - retired)


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


@router.post("/{sku}/change")
def change_product(request: Request, sku: str, *, session: CheckedFormDep, shop: ShopDep,
                   name: Annotated[str, Form(max_length=1000)] = "",
                   price: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Sell a product under a new name or at a new price (typed in major units), then
    show the products with what came of it."""
    require(session.principal, Permission.MANAGE_CATALOGUE)
    product = queries.get_product(shop.storage, sku)
    title = f"{product.sku} was not changed"
    try:
        body = ProductChangeIn.model_validate(
            {"name": name, "price": minor_units(price, product.currency)})
        changed = shop.change_product(ChangeProduct(product.sku, body.name, body.price),
                                      command_context(request, session))
    except ValueError as problem:
        flash = Flash.error(title, form_problem(problem))
    except NotFound:
        raise
    except OrderServiceError as refusal:
        flash = Flash.error(title, reason_of(refusal))
    else:
        flash = _changed(product, changed)
    sessions_of(request).leave_flash(session.token, flash.to_json())
    return RedirectResponse("/admin/products", status_code=303)


def _changed(before: ProductView, after: ProductView) -> Flash:
    sells_as = f"'{after.name}' at {in_code(after.price, after.currency)}"
    if (before.name, before.price) == (after.name, after.price):
        return Flash.success(f"{after.sku} unchanged: it already sells as {sells_as}")
    return Flash.success(f"{after.sku} now sells as {sells_as}",
                         "Orders already placed keep the name and price they were sold at.")


@router.get("/{sku}/retire")
def confirm_retire(request: Request, sku: str, session: SignedInDep, shop: ShopDep) -> Response:
    """Ask before no longer selling a product: what it means for orders and stock."""
    product = queries.get_product(shop.storage, sku)
    retired = product.retired_at is not None
    return render(request, "confirm_retire.html", session, status_code=409 if retired else 200,
                  product=product, retired=retired)


@router.post("/{sku}/retire")
def retire_product(request: Request, sku: str, session: CheckedFormDep,
                   shop: ShopDep) -> Response:
    """No longer sell the product, then show the products with it marked retired."""
    require(session.principal, Permission.MANAGE_CATALOGUE)
    product = queries.get_product(shop.storage, sku)
    try:
        retired = shop.retire_product(RetireProduct(product.sku), command_context(request, session))
    except NotFound:
        raise
    except OrderServiceError as refusal:
        flash = Flash.error(f"{product.sku} was not retired", reason_of(refusal))
    else:
        flash = Flash.success(f"{retired.sku} retired: no longer sold",
                              "New orders for it are refused; orders that have it still "
                              "show it.")
    sessions_of(request).leave_flash(session.token, flash.to_json())
    return RedirectResponse("/admin/products", status_code=303)
