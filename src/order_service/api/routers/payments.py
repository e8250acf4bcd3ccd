"""The payment gateway's notifications: signed, not keyed."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.deps import ShopDep, request_id
from order_service.api.errors import GatewayNotConfigured
from order_service.api.schemas.payments import NotificationOutcomeOut, PaymentNotificationIn
from order_service.api.signatures import SIGNATURE_HEADER, verify
from order_service.application.actors import PAYMENT_GATEWAY, caused_by
from order_service.application.ports import CommandContext


async def signed_by_the_gateway(request: Request) -> None:
    """Refuse (401) a notification that the gateway's shared secret did not sign."""
    settings = request.app.state.settings
    secrets = [secret.get_secret_value() for secret in settings.payment_gateway_secret]
    if not secrets:
        raise GatewayNotConfigured
    verify(request.headers.get(SIGNATURE_HEADER), await request.body(), secrets,
           now=time.time(), tolerance_seconds=settings.payment_signature_tolerance_seconds)


router = APIRouter(prefix="/v1/payment-notifications", tags=["payments"],
                   dependencies=[Depends(signed_by_the_gateway)])


@router.post(
    "",
    summary="Take a payment gateway's notification",
    responses={200: ex.answer("What the shop made of it (the same for every retry)",
                              ex.NOTIFICATION_APPLIED, ex.NOTIFICATION_RECORDED),
               401: ex.refusal("Missing, wrong or stale signature", px.BAD_SIGNATURE),
               404: ex.refusal("No order has this id", px.ORDER_NOT_FOUND),
               503: ex.refusal("No gateway secret is configured",
                               px.PAYMENTS_NOT_CONFIGURED)},
    openapi_extra={"security": [], "parameters": [{
        "name": SIGNATURE_HEADER, "in": "header", "required": True,
        "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + raw body>",
        "schema": {"type": "string"}}]},
)
def take_payment_notification(
    body: Annotated[PaymentNotificationIn, Body(openapi_examples=ex.examples(
        ex.PAYMENT_SUCCEEDED, ex.PAYMENT_FAILED))],
    shop: ShopDep, request: Request,
) -> NotificationOutcomeOut:
    """A gateway reports that a payment for an order succeeded or failed. A success for
    the order's exact total and currency pays a pending order; anything else (another
    amount or currency, a cancelled or already paid order, a failure) is only recorded in
    the order's history, where the merchant sees it. The gateway signs the raw body with
    the shared secret (Stripe-style `Signature: t=...,v1=...`); retries with the same
    notification `id` change nothing and get the same answer. A notification `id` is
    unique across the store: sent for another order than the first, it is only recorded
    there (`duplicate_notification_id`)."""
    context = CommandContext(correlation_id=request_id(request),
                             caused_by=caused_by(PAYMENT_GATEWAY,
                                                 "POST /v1/payment-notifications"))
    outcome = shop.take_payment_notification(body.to_command(), context)
    return NotificationOutcomeOut.from_outcome(outcome)
