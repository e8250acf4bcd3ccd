"""Order routes: place, pay, ship, cancel, read, list and history."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response, status

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.auth import PrincipalDep, allowed
from order_service.api.cursors import CursorCodec
from order_service.api.deps import (
    CursorsDep,
    HotCommandsDep,
    OrderDocumentsDep,
    StorageDep,
    TransferTermsDep,
    order_id_from_path,
)
from order_service.api.idempotency import Answer, Answering, CommandDep, CommandRequest
from order_service.api.problems import problem_response
from order_service.api.schemas.orders import (
    CancelIn,
    OrderEventOut,
    OrderOut,
    OrderPageOut,
    PayIn,
    PlaceOrderIn,
    ShipIn,
)
from order_service.application import queries
from order_service.application.access import Permission, Principal
from order_service.application.commands import CancelOrder, PayOrder, ShipOrder
from order_service.application.hot_commands import HotCommands
from order_service.application.payment_instructions import instructions_of
from order_service.application.ports import CommandContext
from order_service.application.views import (
    OrderDocument,
    OrderDocumentPage,
    OrderFilter,
    OrderView,
)
from order_service.domain.payment_instructions import TransferTerms
from order_service.domain.values import OrderStatus

router = APIRouter(prefix="/v1/orders", tags=["orders"])

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: ex.refusal("No order has this id", px.ORDER_NOT_FOUND)}
STALE: Responses = {
    412: ex.refusal("If-Match names a version the order is no longer at", px.STALE_VERSION)
}


def _change(answer: ex.Sample, illegal: ex.Sample) -> Responses:
    """The answers of a change of status (pay, ship, cancel)."""
    return {200: ex.answer("The changed order; its new version is in `ETag`", answer),
            **NOT_FOUND,
            409: ex.refusal("Not allowed in the order's current status", illegal),
            **STALE}


def _details(*samples: ex.Sample) -> Any:
    """An optional body's examples, the empty one included."""
    return Body(openapi_examples=ex.examples(*samples, ex.NO_DETAILS))


# A change of status; `change` runs it with the matching HotCommands method.
Change = PayOrder | ShipOrder | CancelOrder

ORDERS_CURSOR = "orders-before"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

OrderIdPath = Annotated[str, Path(description="The order's UUID", examples=[
    "7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10"])]


def etag(version: int) -> str:
    """The ETag of an order at `version`."""
    return f'"{version}"'


async def if_match(
    value: Annotated[str | None, Header(alias="If-Match", description=(
        "Act only if the order is still at this ETag (from GET); else 412"))] = None,
) -> int | None:
    """The order version an If-Match header demands, if any (`*` demands none)."""
    if value is None or value.strip() in ("", "*"):
        return None
    tag = value.split(",")[0].strip().removeprefix("W/").strip('"')
    # A tag that is not a version can match no order: -1 makes that a 412.
    return int(tag) if tag.isascii() and tag.isdigit() and len(tag) < 10 else -1


IfMatchDep = Annotated[int | None, Depends(if_match)]


def order_out(order: OrderView, transfer: TransferTerms) -> OrderOut:
    """The order as the API sends it, with the instructions of the current settings."""
    return OrderOut.from_view(order, instructions_of(order, transfer))


def _placed(transfer: TransferTerms) -> Answering:
    return Answering(lambda order: Answer(
        201, order_out(order, transfer),
        {"Location": f"/v1/orders/{order.id}", "ETag": etag(order.version)}))


def _changed(transfer: TransferTerms) -> Answering:
    return Answering(lambda order: Answer(200, order_out(order, transfer),
                                          {"ETag": etag(order.version)}))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    dependencies=[Depends(allowed(Permission.PLACE_ORDERS))],
    summary="Place an order",
    responses={
        201: ex.answer("The order, at `Location`; its version is in `ETag`", ex.ORDER_PLACED,
                       ex.ORDER_PLACED_FOR_TRANSFER),
        409: ex.refusal("Not enough stock for some lines, or a product no longer sold",
                        px.OUT_OF_STOCK, px.PRODUCT_RETIRED),
        422: ex.refusal("Invalid order, unknown SKU or method", px.UNKNOWN_PRODUCT,
                        px.UNKNOWN_PAYMENT_METHOD, px.UNKNOWN_SHIPPING_METHOD,
                        px.INVALID_ORDER),
    },
)
async def place_order(
    body: Annotated[PlaceOrderIn, Body(openapi_examples=ex.examples(
        ex.NEW_ORDER, ex.NEW_ORDER_TWO_LINES))],
    shop: HotCommandsDep, command: CommandDep, transfer: TransferTermsDep,
) -> Response:
    """Place an order from the storefront: stock is taken at once, prices come from the
    catalogue, and the order gets the next receipt number. If any line cannot be served
    the whole order is refused with 409 and nothing is taken. Send an `Idempotency-Key`
    to make retries safe: a repeat gets the first answer and places nothing."""
    return await place(shop, body, command, transfer)


async def place(shop: HotCommands, body: PlaceOrderIn, command: CommandRequest,
                transfer: TransferTerms) -> Response:
    """Place the order `body` asks for; the answer `place_order` sends."""
    answer = _placed(transfer)
    return answer(await shop.place_order(body.to_command(),
                                        command.context(answer))).response()


@router.get("", summary="List orders", response_model=OrderPageOut,
            responses={200: ex.answer("A page of orders, newest first", ex.ORDER_PAGE,
                                      ex.LAST_PAGE)})
async def list_orders(
    *,
    documents: OrderDocumentsDep,
    cursors: CursorsDep,
    viewer: Annotated[Principal, Depends(allowed(Permission.READ_OWN_ORDERS))],
    transfer: TransferTermsDep,
    order_status: Annotated[list[OrderStatus] | None, Query(
        alias="status", description="Only orders in this status (repeat for several)")] = None,
    q: Annotated[str | None, Query(max_length=320, description=(
        "Find orders by number (exact: `1042` or `#1042`), or by part of the customer's "
        "email or name, in any case"), examples=["garcía"])] = None,
    customer_email: Annotated[str | None, Query(max_length=320, description=(
        "Only this customer's orders: the whole email, in any case"),
        examples=["ana@example.com"])] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Response:
    """Orders newest first, a page at a time, optionally only those in some statuses,
    found by `q`, or of one customer (`customer_email`). A merchant key lists every
    order; a storefront key lists the orders it placed (so a shop can show a customer
    their order history)."""
    where = OrderFilter(statuses=frozenset(order_status or ()),
                        search=(q or "").strip() or None,
                        customer_email=(customer_email or "").strip() or None)
    page = await queries.read_order_documents(
        documents, where, viewer=viewer, limit=limit,
        before_number=None if cursor is None else cursors.decode(ORDERS_CURSOR, cursor),
        transfer=transfer,
    )
    return page_response(page, cursors)


def page_response(page: OrderDocumentPage, cursors: CursorCodec) -> Response:
    """A page of orders as `list_orders` sends it, with the cursor of the next page."""
    next_cursor = None if page.next_before is None else cursors.encode(
        ORDERS_CURSOR, page.next_before)
    # The documents are the orders' JSON as the export gives it (equal to GET's).
    body = b'{"items":[' + b",".join(page.documents) + b'],"next_cursor":' + json.dumps(
        next_cursor).encode() + b"}"
    return Response(body, media_type="application/json")


@router.get("/{order_id}", summary="Get an order", response_model=OrderOut,
            responses={200: ex.answer("The order; its version is in `ETag`", ex.ORDER_PENDING,
                                      ex.ORDER_AWAITING_TRANSFER,
                                      ex.ORDER_AWAITING_TRANSFER_DETAILS,
                                      ex.ORDER_CASH_ON_DELIVERY, ex.ORDER_PAID_BY_GATEWAY,
                                      ex.ORDER_SHIPPED, ex.ORDER_CANCELLED),
                       **NOT_FOUND})
async def get_order(order_id: OrderIdPath, documents: OrderDocumentsDep,
                    transfer: TransferTermsDep,
                    viewer: Annotated[Principal, Depends(allowed(Permission.READ_OWN_ORDERS))],
                    ) -> Response:
    """Everything about one order: lines, totals, customer, addresses, methods, dates.
    The `ETag` is the order's version; send it back as `If-Match` to change the order
    only if nobody else did meanwhile."""
    return order_response(await queries.read_order_document(
        documents, order_id_from_path(order_id), viewer, transfer))


def order_response(order: OrderDocument) -> Response:
    """One order as `get_order` sends it: its stored JSON, its version as the ETag."""
    # The database builds the JSON (equal to OrderOut's): no row decoded, no model built.
    return Response(order.document, media_type="application/json",
                    headers={"ETag": etag(order.version)})


@router.get("/{order_id}/events", summary="An order's history",
            responses={200: ex.answer("The order's events, oldest first", ex.HISTORY),
                       **NOT_FOUND},
            dependencies=[Depends(allowed(Permission.READ_ALL_ORDERS))])
def order_history(order_id: OrderIdPath, storage: StorageDep) -> list[OrderEventOut]:
    """The order's events, oldest first: how it was placed and every change since."""
    history = queries.order_history(storage, order_id_from_path(order_id))
    return [OrderEventOut.from_view(event) for event in history]


@router.post("/{order_id}/pay", summary="Mark an order paid", response_model=OrderOut,
             responses=_change(ex.ORDER_PAID, px.PAY_CANCELLED),
             dependencies=[Depends(allowed(Permission.MANAGE_ORDERS))])
async def pay_order(order_id: OrderIdPath, shop: HotCommandsDep, command: CommandDep,
                    version: IfMatchDep, *, transfer: TransferTermsDep,
                    body: Annotated[PayIn | None, _details(ex.PAY)] = None) -> Response:
    """Record the payment of a pending order (bank transfer, gateway notification).
    Paying a paid order again is a harmless no-op."""
    pay = (body or PayIn()).to_command(order_id_from_path(order_id), version)
    return await change(shop.pay_order, pay, command, transfer)


@router.post("/{order_id}/ship", summary="Mark an order shipped", response_model=OrderOut,
             responses=_change(ex.ORDER_SHIPPED, px.SHIP_UNPAID),
             dependencies=[Depends(allowed(Permission.MANAGE_ORDERS))])
async def ship_order(order_id: OrderIdPath, shop: HotCommandsDep, command: CommandDep,
                     version: IfMatchDep, *, transfer: TransferTermsDep,
                     body: Annotated[ShipIn | None, _details(ex.SHIP)] = None) -> Response:
    """Record that a paid order left the warehouse; its stock stays taken.
    Shipping a shipped order again is a harmless no-op."""
    ship = (body or ShipIn()).to_command(order_id_from_path(order_id), version)
    return await change(shop.ship_order, ship, command, transfer)


@router.post("/{order_id}/cancel", summary="Cancel an order", response_model=OrderOut,
             responses=_change(ex.ORDER_CANCELLED, px.CANCEL_SHIPPED),
             dependencies=[Depends(allowed(Permission.MANAGE_ORDERS))])
async def cancel_order(order_id: OrderIdPath, shop: HotCommandsDep, command: CommandDep,
                       version: IfMatchDep, *, transfer: TransferTermsDep,
                       body: Annotated[CancelIn | None, _details(ex.CANCEL)] = None) -> Response:
    """Cancel a pending or paid order and put its stock back. A shipped order cannot be
    cancelled; cancelling a cancelled order again changes nothing."""
    cancel = (body or CancelIn()).to_command(order_id_from_path(order_id), version)
    return await change(shop.cancel_order, cancel, command, transfer)


async def change(run: Callable[[Any, CommandContext], Awaitable[OrderView]], command: Change,
                 request: CommandRequest, transfer: TransferTerms) -> Response:
    """Carry out a pay, ship or cancel `command` with `run`; the answer those routes send."""
    answer = _changed(transfer)
    return answer(await run(command, request.context(answer))).response()


@router.delete("/{order_id}", include_in_schema=False)
def delete_order(order_id: OrderIdPath, _key: PrincipalDep) -> Response:
    """Refuse: orders are sales receipts and are never deleted."""
    return problem_response(
        405, "method-not-allowed", "Method Not Allowed",
        f"Orders are never deleted: each is a numbered sales receipt. "
        f"Cancel it instead with POST /v1/orders/{order_id}/cancel.",
        headers={"Allow": "GET"},
    )
