"""An order email as the text of the whole MIME message, for a merchant to look at."""

from __future__ import annotations

from datetime import datetime

from order_service.adapters.email.mime import mime_message
from order_service.application.email_messages import RenderedEmail


def preview(rendered: RenderedEmail, *, to: str, sender: str, message_id: str,
            sent_at: datetime | None = None) -> str:
    """The whole MIME message (headers, text part, HTML part) exactly as it would be sent."""
    return mime_message(rendered, to=to, sender=sender, message_id=message_id,
                        sent_at=sent_at).as_string()
