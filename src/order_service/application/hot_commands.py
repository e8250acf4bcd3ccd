"""The flash sale's commands awaited on the event loop: place, pay, ship and cancel.

They decide exactly as Shop does (Shop.decide_placement and OrderChange are shared) and
retry the same way; only the two storage steps are awaited. On PostgreSQL each step is
one asyncpg statement on the event loop (adapters/sql/async_two_step.py), so a request
costs no thread hop and no blocking pool checkout; on SQLite and in memory each step
runs on a worker thread (ThreadedTwoStepCommands).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from uuid import UUID

from order_service.application.commands import CancelOrder, PayOrder, PlaceOrder, ShipOrder
from order_service.application.errors import AlreadyHandled, ConcurrencyConflict
from order_service.application.handlers import MAX_ATTEMPTS, Decided, OrderChange, Shop
from order_service.application.ports import (
    AsyncTwoStepCommands,
    CommandContext,
    IdempotentRequest,
    OrderInputs,
    Outcome,
    PlacementInputs,
    TwoStepCommands,
)
from order_service.application.views import OrderView
from order_service.domain.errors import OrderServiceError
from order_service.domain.pricing import requested_quantities


@dataclass(frozen=True)
class HotCommands:
    """Shop's hot commands over storage steps that are awaited."""

    shop: Shop
    steps: AsyncTwoStepCommands

    async def place_order(self, command: PlaceOrder, context: CommandContext) -> OrderView:
        """As Shop.place_order."""
        wanted = requested_quantities(command.lines)

        async def attempt() -> Decided:
            inputs = await self.steps.read_for_placement(wanted, command.shipping_method,
                                                         context.idempotency)
            outcome = self.shop.decide_placement(command, inputs)
            return await self.steps.write(outcome, context, None), list(outcome.events)

        return await self._settled(context, attempt)

    async def pay_order(self, command: PayOrder, context: CommandContext) -> OrderView:
        """As Shop.pay_order."""
        return await self._change_order(self.shop.paying(command), context)

    async def ship_order(self, command: ShipOrder, context: CommandContext) -> OrderView:
        """As Shop.ship_order."""
        return await self._change_order(self.shop.shipping(command), context)

    async def cancel_order(self, command: CancelOrder, context: CommandContext) -> OrderView:
        """As Shop.cancel_order."""
        return await self._change_order(self.shop.cancelling(command), context)

    async def _change_order(self, decide: OrderChange, context: CommandContext) -> OrderView:
        async def attempt() -> Decided:
            inputs = await self.steps.read_order(decide.order_id, context.idempotency)
            outcome, view = decide(inputs, context)
            if outcome is None:
                return view, []
            return await self.steps.write(outcome, context, view), list(outcome.events)

        return await self._settled(context, attempt)

    async def _settled(self, context: CommandContext,
                       attempt: Callable[[], Awaitable[Decided]]) -> OrderView:
        """As Shop._settled: run `attempt` until it commits, deciding again on conflicts."""
        for attempt_number in range(1, MAX_ATTEMPTS + 1):
            try:
                result, appended = await attempt()
            except ConcurrencyConflict:
                if attempt_number == MAX_ATTEMPTS:
                    raise
            except AlreadyHandled:
                self.shop.observer.replayed()
                raise
            except OrderServiceError as refusal:
                # Rare next to the commands themselves: the blocking storage keeps it.
                await asyncio.to_thread(self.shop.refused, context, refusal)
                raise
            else:
                self.shop.observer.committed(appended)
                return result
        raise AssertionError("unreachable: the last attempt returns or raises")


class ThreadedTwoStepCommands:
    """AsyncTwoStepCommands over blocking ones (SQLite, memory): each step on a thread."""

    def __init__(self, steps: TwoStepCommands) -> None:
        self._steps = steps

    async def read_for_placement(self, skus: Collection[str], shipping_code: str,
                                 request: IdempotentRequest | None) -> PlacementInputs:
        """The blocking read_for_placement, on a worker thread."""
        return await asyncio.to_thread(self._steps.read_for_placement, skus, shipping_code,
                                       request)

    async def read_order(self, order_id: UUID, request: IdempotentRequest | None
                         ) -> OrderInputs:
        """The blocking read_order, on a worker thread."""
        return await asyncio.to_thread(self._steps.read_order, order_id, request)

    async def write(self, outcome: Outcome, context: CommandContext,
                    current: OrderView | None) -> OrderView:
        """The blocking write, on a worker thread."""
        return await asyncio.to_thread(self._steps.write, outcome, context, current)
