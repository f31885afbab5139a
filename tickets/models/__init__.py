from tickets.enums import PRIORITY_RANK, WAITING_FOR_STAFF, EventKind, Priority, Source, Speaker, Status
from tickets.models.canned import CannedReply
from tickets.models.event import TicketEvent
from tickets.models.inbound import InboundEmail, InboundState
from tickets.models.lifecycle import EscalationRefused
from tickets.models.message import Attachment, Message, RemovalReason
from tickets.models.notification import DeliveryState, Notification, NotificationKind
from tickets.models.search import TicketSearch
from tickets.models.ticket import Ticket

__all__ = [
    "PRIORITY_RANK",
    "WAITING_FOR_STAFF",
    "Attachment",
    "CannedReply",
    "DeliveryState",
    "EscalationRefused",
    "InboundEmail",
    "InboundState",
    "Notification",
    "NotificationKind",
    "EventKind",
    "Message",
    "Priority",
    "RemovalReason",
    "Source",
    "Speaker",
    "Status",
    "Ticket",
    "TicketEvent",
    "TicketSearch",
]
