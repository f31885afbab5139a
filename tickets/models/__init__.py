from tickets.models.message import Attachment, Message, Source
from tickets.models.ticket import (
    PRIORITY_RANK,
    WAITING_FOR_STAFF,
    EventKind,
    Priority,
    Speaker,
    Status,
    Ticket,
    TicketEvent,
)

__all__ = [
    "PRIORITY_RANK",
    "WAITING_FOR_STAFF",
    "Attachment",
    "EventKind",
    "Message",
    "Priority",
    "Source",
    "Speaker",
    "Status",
    "Ticket",
    "TicketEvent",
]
