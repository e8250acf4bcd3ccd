"""One handler per command: load the history, let the domain decide, append the outcome.

Handlers hold no business rules; they fetch what the domain needs inside one
transaction and retry from scratch when another writer got to a stream first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar
from uuid import UUID

from order_service.application.commands import (
    AddOrderNote,
    AddProduct,
    AddShippingMethod,
    CancelOrder,
    ChangeProduct,
    CorrectOrderDetails,
    PayOrder,
    PlaceOrder,
    RefundOrder,
    RestockProduct,
    RetireProduct,
    ShipOrder,
    TakePaymentNotification,
)
from order_service.application.errors import (
    AlreadyHandled,
    ConcurrencyConflict,
    IdempotencyKeyReused,
)
from order_service.application.expiry import BATCH_SIZE, expire_batch
from order_service.application.observers import (
    NOBODY_WATCHING,
    RecordingTransaction,
    ShopObserver,
)
from order_service.application.ports import (
    NUMBER_AT_COMMIT,
    Clock,
    CommandContext,
    IdempotentRequest,
    OrderInputs,
    Outcome,
    PlacementInputs,
    Storage,
    Transaction,
)
from order_service.application.views import (
    NoteView,
    NotificationOutcome,
    OrderView,
    ProductView,
    ShippingMethodView,
)
from order_service.domain import catalogue
from order_service.domain.catalogue import Product
from order_service.domain.errors import (
    OrderNotFound,
    OrderServiceError,
    ProductNotFound,
    UnknownShippingMethod,
)
from order_service.domain.events import (
    DomainEvent,
    order_stream,
    product_stream,
    shipping_method_stream,
)
from order_service.domain.order import Order
from order_service.domain.payment_hold import PaymentHold
from order_service.domain.pricing import ShopTerms, quote_order, requested_quantities

T = TypeVar("T")
# What one attempt at a two-step command ends with: the order, and the events it stored.
Decided = tuple[OrderView, list[DomainEvent]]

# A conflict means another command changed the same stream between our read and our
# append; deciding again on the fresh history is always safe, and a handful of tries is
# plenty because the rows that serialise hot spots (stock, order numbers) are locked.
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Shop:
    """The shop's use cases, bound to its storage, its terms and a clock."""

    storage: Storage
    terms: ShopTerms
    clock: Clock
    observer: ShopObserver = NOBODY_WATCHING

    def place_order(self, command: PlaceOrder, context: CommandContext) -> OrderView:
        """Take the stock, number the order and record it; refuse it whole otherwise."""
        wanted = requested_quantities(command.lines)

        def attempt() -> Decided:
            inputs = self.storage.read_for_placement(wanted, command.shipping_method,
                                                     context.idempotency)
            outcome = self.decide_placement(command, inputs)
            return self.storage.write(outcome, context, None), list(outcome.events)

        return self._settled(context, attempt)

    def decide_placement(self, command: PlaceOrder, inputs: PlacementInputs) -> Outcome:
        """The OrderPlaced that `command` adds, priced from what was read for it."""
        _repeat_if_answered(inputs.earlier_answer)
        if inputs.shipping is None:
            raise UnknownShippingMethod(command.shipping_method, inputs.shipping_codes)
        quote = quote_order(
            customer=command.customer, lines=command.lines, catalogue=inputs.catalogue,
            shipping_address=command.shipping_address, shipping=inputs.shipping,
            billing_address=command.billing_address, payment_method=command.payment_method,
            terms=self.terms, currency=command.currency,
        )
        placed = quote.place(order_id=command.order_id, number=NUMBER_AT_COMMIT,
                             now=self.clock())
        return Outcome(order_stream(command.order_id), [placed], expected_version=0)

    def pay_order(self, command: PayOrder, context: CommandContext) -> OrderView:
        """Mark an order paid (a no-op if it already is)."""
        return self._change_order(self.paying(command), context)

    def ship_order(self, command: ShipOrder, context: CommandContext) -> OrderView:
        """Mark a paid order shipped (a no-op if it already is)."""
        return self._change_order(self.shipping(command), context)

    def cancel_order(self, command: CancelOrder, context: CommandContext) -> OrderView:
        """Cancel an order and give its stock back (a no-op if it already is cancelled)."""
        return self._change_order(self.cancelling(command), context)

    def paying(self, command: PayOrder) -> OrderChange:
        """How paying an order decides."""
        return OrderChange(command.order_id, command.expected_version, "pay", lambda order:
                           order.pay(payment_reference=command.payment_reference,
                                     now=self.clock()))

    def shipping(self, command: ShipOrder) -> OrderChange:
        """How shipping an order decides."""
        return OrderChange(command.order_id, command.expected_version, "ship", lambda order:
                           order.ship(tracking_number=command.tracking_number, now=self.clock()))

    def cancelling(self, command: CancelOrder) -> OrderChange:
        """How cancelling an order decides."""
        return OrderChange(command.order_id, command.expected_version, "cancel", lambda order:
                           order.cancel(reason=command.reason, now=self.clock()))

    def correct_order(self, command: CorrectOrderDetails, context: CommandContext) -> OrderView:
        """Correct an order's contact details or addresses before it ships."""
        return self._on_order(command.order_id, command.expected_version, context,
                              lambda order: order.correct_details(
                                  customer=command.customer,
                                  shipping_address=command.shipping_address,
                                  billing_address=command.billing_address, now=self.clock()))

    def refund_order(self, command: RefundOrder, context: CommandContext) -> OrderView:
        """Give money of a paid order back, and the named goods to stock if asked."""
        return self._on_order(command.order_id, command.expected_version, context,
                              lambda order: order.refund(
                                  amount=command.amount, reason=command.reason,
                                  lines=command.lines, restock=command.restock,
                                  now=self.clock()))

    def add_order_note(self, command: AddOrderNote, context: CommandContext) -> NoteView:
        """Write a note on an order for colleagues."""

        def decide(tx: Transaction) -> NoteView:
            stream = order_stream(command.order_id)
            order = Order.from_history(command.order_id, tx.events.load(stream))
            noted = order.add_note(command.text, now=self.clock())
            tx.events.append(stream, [noted], expected_version=order.version)
            return NoteView(command.order_id, noted.text, noted.added_at, order.version + 1)

        return self._in_transaction(context, decide)

    def _on_order(self, order_id: UUID, expected_version: int | None, context: CommandContext,
                  change: Callable[[Order], list[DomainEvent]]) -> OrderView:
        """Decide a change of an order on its history, under If-Match, and append it."""

        def decide(tx: Transaction) -> OrderView:
            stream = order_stream(order_id)
            order = Order.from_history(order_id, tx.events.load(stream))
            order.require_version(expected_version)
            tx.events.append(stream, change(order), expected_version=order.version)
            return _order_view(tx, order_id)

        return self._in_transaction(context, decide)

    def take_payment_notification(
        self, command: TakePaymentNotification, context: CommandContext
    ) -> NotificationOutcome:
        """Pay the order from a gateway's notification, or record why not (retries: no-op)."""

        def decide(tx: Transaction) -> NotificationOutcome:
            stream = order_stream(command.order_id)
            order = Order.from_history(command.order_id, tx.events.load(stream))
            taken_for = tx.notification_ids.take(command.notification.notification_id,
                                                 command.order_id)
            new_events = order.take_payment_notification(command.notification, now=self.clock(),
                                                         taken_for=taken_for)
            tx.events.append(stream, new_events, expected_version=order.version)
            return _notification_outcome(_order_view(tx, command.order_id),
                                         command.notification.notification_id)

        return self._in_transaction(context, decide)

    def expire_pending_orders(self, hold: PaymentHold, context: CommandContext, *,
                              batch_size: int = BATCH_SIZE) -> int:
        """Cancel every order left unpaid past the payment hold; how many it cancelled."""
        return sum(self.expire_pending_batches(hold, context, batch_size=batch_size))

    def expire_pending_batches(self, hold: PaymentHold, context: CommandContext, *,
                               batch_size: int = BATCH_SIZE) -> Iterator[int]:
        """The same a batch at a time: yields, after each commits, how many it cancelled."""
        last_seen = None
        while hold.enabled:
            batch = self._in_transaction(context, partial(
                expire_batch, hold=hold, now=self.clock(), after=last_seen, limit=batch_size))
            if batch.last_seen is None:
                return
            last_seen = batch.last_seen
            yield batch.expired

    def add_product(self, command: AddProduct, context: CommandContext) -> ProductView:
        """Add a product to the catalogue with its opening stock."""

        def decide(tx: Transaction) -> ProductView:
            stream = product_stream(command.sku)
            added = catalogue.add_product(
                tx.events.load(stream), sku=command.sku, name=command.name,
                unit_price=command.price, currency=command.currency,
                shop_currency=self.terms.currency, stock=command.stock, now=self.clock(),
            )
            tx.events.append(stream, [added], expected_version=0)
            return _product_view(tx, command.sku)

        return self._in_transaction(context, decide)

    def restock_product(self, command: RestockProduct, context: CommandContext) -> ProductView:
        """Add received stock to a product."""

        def decide(tx: Transaction) -> ProductView:
            # Restocks of one product queue on its row instead of racing for its stream.
            tx.catalogue.lock_products([command.sku])
            stream = product_stream(command.sku)
            history = tx.events.load(stream)
            restocked = catalogue.restock(
                history, sku=command.sku, quantity=command.quantity, now=self.clock()
            )
            tx.events.append(stream, [restocked], expected_version=len(history))
            return _product_view(tx, command.sku)

        return self._in_transaction(context, decide)

    def change_product(self, command: ChangeProduct, context: CommandContext) -> ProductView:
        """Rename or reprice a product; orders already placed keep their lines as sold."""
        return self._on_product(command.sku, context, lambda product: product.change(
            name=command.name, unit_price=command.price, currency=command.currency,
            now=self.clock()))

    def retire_product(self, command: RetireProduct, context: CommandContext) -> ProductView:
        """Stop selling a product (a no-op if it is retired already)."""
        return self._on_product(command.sku, context,
                                lambda product: product.retire(now=self.clock()))

    def _on_product(self, sku: str, context: CommandContext,
                    change: Callable[[Product], list[DomainEvent]]) -> ProductView:
        def decide(tx: Transaction) -> ProductView:
            # Changes of one product queue on its row instead of racing for its stream.
            tx.catalogue.lock_products([sku])
            stream = product_stream(sku)
            history = tx.events.load(stream)
            changes = change(Product.from_history(sku, history))
            tx.events.append(stream, changes, expected_version=len(history))
            return _product_view(tx, sku)

        return self._in_transaction(context, decide)

    def add_shipping_method(
        self, command: AddShippingMethod, context: CommandContext
    ) -> ShippingMethodView:
        """Offer a new shipping method."""

        def decide(tx: Transaction) -> ShippingMethodView:
            stream = shipping_method_stream(command.code)
            added = catalogue.add_shipping_method(
                tx.events.load(stream), code=command.code, name=command.name,
                price=command.price, currency=command.currency,
                shop_currency=self.terms.currency, now=self.clock(),
            )
            tx.events.append(stream, [added], expected_version=0)
            return _shipping_method_view(tx, command.code)

        return self._in_transaction(context, decide)

    def _change_order(self, decide: OrderChange, context: CommandContext) -> OrderView:
        def attempt() -> Decided:
            inputs = self.storage.read_order(decide.order_id, context.idempotency)
            outcome, view = decide(inputs, context)
            if outcome is None:
                return view, []
            return self.storage.write(outcome, context, view), list(outcome.events)

        return self._settled(context, attempt)

    def _in_transaction(self, context: CommandContext, decide: Callable[[Transaction], T]) -> T:
        request = context.idempotency

        def attempt() -> tuple[T, list[DomainEvent]]:
            with self.storage.transaction(context) as tx:
                if request is not None:
                    _claim(tx, request)
                recording = RecordingTransaction(tx)
                result = decide(recording)
                if request is not None:
                    tx.idempotency_keys.remember(request.key, request.record_result(result))
            return result, recording.appended

        return self._settled(context, attempt)

    def _settled(self, context: CommandContext,
                 attempt: Callable[[], tuple[T, list[DomainEvent]]]) -> T:
        """Run `attempt` until it commits; decide again whenever someone wrote first."""
        for attempt_number in range(1, MAX_ATTEMPTS + 1):
            try:
                result, appended = attempt()
            except ConcurrencyConflict:
                if attempt_number == MAX_ATTEMPTS:
                    raise
            except AlreadyHandled:
                self.observer.replayed()
                raise
            except OrderServiceError as refusal:
                self.refused(context, refusal)
                raise
            else:
                # Told only now: an attempt rolled back for a retry stored nothing.
                self.observer.committed(appended)
                return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    def refused(self, context: CommandContext, refusal: OrderServiceError) -> None:
        """Count a refusal, and keep it as the answer to the command's idempotency key.

        Nothing was appended, so this needs no atomicity with the command: if it is
        lost, a retry decides again and is refused again (or served, if stock came in).
        """
        self.observer.refused(refusal)
        request = context.idempotency
        if request is None:
            return
        try:
            with self.storage.transaction(context) as tx:
                if tx.idempotency_keys.claim(request.key, request.fingerprint) is None:
                    tx.idempotency_keys.remember(request.key, request.record_refusal(refusal))
        except (ConcurrencyConflict, IdempotencyKeyReused):
            pass


@dataclass(frozen=True)
class OrderChange:
    """How pay, ship and cancel decide, given what was read for them."""

    order_id: UUID
    expected_version: int | None
    action: str
    change: Callable[[Order], list[DomainEvent]]
    # The version the first attempt decided on: a retry must find the order unchanged
    # since, or the caller's decision no longer stands.
    first_decided_on: list[int] = field(default_factory=list)

    def __call__(self, inputs: OrderInputs, context: CommandContext
                 ) -> tuple[Outcome | None, OrderView]:
        """The outcome to write (None when there is nothing to store), and the order now."""
        _repeat_if_answered(inputs.earlier_answer)
        order = Order.from_history(self.order_id, inputs.history)
        order.require_version(self.expected_version)
        new_events = self.change(order)
        if new_events:
            self.first_decided_on.append(order.version)
            order.require_unchanged_since(self.first_decided_on[0], self.action)
        if inputs.view is None:
            raise OrderNotFound(self.order_id)
        if not new_events and context.idempotency is None:
            return None, inputs.view
        return (Outcome(order_stream(self.order_id), new_events, expected_version=order.version),
                inputs.view)


def _repeat_if_answered(earlier_answer: str | None) -> None:
    if earlier_answer is not None:
        raise AlreadyHandled(earlier_answer)


def _claim(tx: Transaction, request: IdempotentRequest) -> None:
    earlier = tx.idempotency_keys.claim(request.key, request.fingerprint)
    if earlier is not None:
        raise AlreadyHandled(earlier)


def _order_view(tx: Transaction, order_id: UUID) -> OrderView:
    view = tx.read_models.order(order_id)
    if view is None:
        raise OrderNotFound(order_id)
    return view


def _product_view(tx: Transaction, sku: str) -> ProductView:
    view = tx.read_models.product(sku)
    if view is None:
        raise ProductNotFound(sku)
    return view


def _shipping_method_view(tx: Transaction, code: str) -> ShippingMethodView:
    view = tx.read_models.shipping_method(code)
    if view is None:
        # The projection runs in the append's transaction, so this cannot happen.
        raise LookupError(f"shipping method {code!r} was added but is not in the read model")
    return view


def _notification_outcome(order: OrderView, notification_id: str) -> NotificationOutcome:
    for seen in order.payment_notifications:
        if seen.notification_id == notification_id:
            return NotificationOutcome(notification=seen, order=order)
    raise LookupError(f"notification {notification_id} was taken but is not in the read model")
