"""Changes to an order after it was placed: correct its details, refund it, note on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Response, status

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.auth import allowed
from order_service.api.deps import ShopDep, TransferTermsDep, order_id_from_path
from order_service.api.errors import IfMatchRequired
from order_service.api.idempotency import Answer, Answering, CommandDep
from order_service.api.routers.orders import (
    NOT_FOUND,
    STALE,
    IfMatchDep,
    OrderIdPath,
    etag,
    if_match,
    order_out,
)
from order_service.api.schemas.after_sale import CorrectionIn, NoteIn, NoteOut, RefundIn
from order_service.api.schemas.orders import OrderOut
from order_service.application.access import Permission
from order_service.application.views import NoteView
from order_service.domain.payment_instructions import TransferTerms

router = APIRouter(prefix="/v1/orders", tags=["orders"],
                   dependencies=[Depends(allowed(Permission.MANAGE_ORDERS))])

CORRECTION = "PATCH /v1/orders/{order_id}"


async def required_if_match(
    value: Annotated[str | None, Header(alias="If-Match", description=(
        "Required: the order's ETag from GET; 412 if it changed since, 428 if missing. "
        "`*` corrects whatever version the order is at"))] = None,
) -> int | None:
    """The order version a correction is decided on: the header must be sent."""
    if value is None or not value.strip():
        raise IfMatchRequired(CORRECTION)
    return await if_match(value)


def _changed(transfer: TransferTerms, status_code: int = 200) -> Answering:
    return Answering(lambda order: Answer(
        status_code, order_out(order, transfer),
        {"ETag": etag(order.version), "Location": f"/v1/orders/{order.id}"}))


def _noted(note: NoteView) -> Answer:
    return Answer(201, NoteOut.from_view(note), {"ETag": etag(note.version)})


@router.patch(
    "/{order_id}", summary="Correct an order's details", response_model=OrderOut,
    responses={
        200: ex.answer("The corrected order; its new version is in `ETag`",
                       ex.ORDER_CORRECTED),
        **NOT_FOUND,
        409: ex.refusal("The order has shipped or is cancelled", px.CORRECT_SHIPPED),
        **STALE,
        428: ex.refusal("No If-Match header", px.IF_MATCH_REQUIRED),
    },
)
def correct_order(
    order_id: OrderIdPath,
    body: Annotated[CorrectionIn, Body(openapi_examples=ex.examples(
        ex.CORRECTION, ex.CORRECTION_CONTACT))],
    *, shop: ShopDep, command: CommandDep, transfer: TransferTermsDep,
    version: Annotated[int | None, Depends(required_if_match)],
) -> Response:
    """Correct the customer's contact details (`customer`), the `shipping_address` or
    the `billing_address` of an order that is `pending_payment` or `paid`; each part
    sent replaces that part whole. Lines and prices never change once placed. Send the
    order's `ETag` as `If-Match`: the correction is made only on the version you saw. A
    part equal to what the order has is no change (no event, same version)."""
    correction = body.to_command(order_id_from_path(order_id), version)
    answer = _changed(transfer)
    return answer(shop.correct_order(correction, command.context(answer))).response()


@router.post(
    "/{order_id}/refunds", status_code=status.HTTP_201_CREATED, summary="Refund an order",
    response_model=OrderOut,
    responses={
        201: ex.answer("The order with its refunds; its new version is in `ETag`",
                       ex.ORDER_REFUNDED),
        **NOT_FOUND,
        409: ex.refusal("Not paid, more than is left to refund, or more goods than sold",
                        px.REFUND_UNPAID, px.REFUND_TOO_MUCH, px.REFUND_TOO_MANY),
        **STALE,
        422: ex.refusal("Invalid refund", px.NOT_ON_ORDER, px.INVALID_REFUND),
    },
)
def refund_order(
    order_id: OrderIdPath,
    body: Annotated[RefundIn, Body(openapi_examples=ex.examples(ex.REFUND,
                                                                ex.REFUND_GOODWILL))],
    *, shop: ShopDep, command: CommandDep, transfer: TransferTermsDep, version: IfMatchDep,
) -> Response:
    """Give back `amount` (minor units) of a `paid` or `shipped` order, for `reason`.
    Several partial refunds may add up to the order's total, never more (409 naming what
    is left). `lines` names the goods refunded, at most what the order sold of each
    across all its refunds; with `restock` they go back in stock at once. A full refund
    does not change the status. Send an `Idempotency-Key`: a retried refund must not
    pay twice."""
    refund = body.to_command(order_id_from_path(order_id), version)
    answer = _changed(transfer, 201)
    return answer(shop.refund_order(refund, command.context(answer))).response()


@router.post(
    "/{order_id}/notes", status_code=status.HTTP_201_CREATED, summary="Add a note to an order",
    response_model=NoteOut,
    responses={201: ex.answer("The note; the order's new version is in `ETag`",
                              ex.NOTE_ADDED),
               **NOT_FOUND},
)
def add_order_note(
    order_id: OrderIdPath,
    body: Annotated[NoteIn, Body(openapi_examples=ex.examples(ex.NOTE))],
    shop: ShopDep, command: CommandDep,
) -> Response:
    """Write a note on an order for colleagues (merchant keys only; the buyer and the
    storefront never see it). It shows in the order's history with who wrote it."""
    return _noted(shop.add_order_note(body.to_command(order_id_from_path(order_id)),
                                      command.context(_noted))).response()
