from tickets.enums import PRIORITY_RANK, WAITING_FOR_STAFF, EventKind, Priority, Scale, Score, Source, Speaker, Status
from tickets.models.canned import CannedReply
from tickets.models.event import TicketEvent
from tickets.models.inbound import AuthVerdict, InboundEmail, InboundState
from tickets.models.lifecycle import EscalationRefused
from tickets.models.message import Attachment, Message, RemovalReason
from tickets.models.notification import DeliveryState, Notification, NotificationKind
from tickets.models.problem import (
    ACTIVE_PROBLEM,
    BroadcastKind,
    BroadcastState,
    BroadcastTicket,
    Burst,
    BurstThreshold,
    Problem,
    ProblemBroadcast,
    ProblemStatus,
)
from tickets.models.rollup import Measure, NewTicketCount, OpenTicketCount, ResponseTimeCount
from tickets.models.satisfaction import Rating, RatingRefused
from tickets.models.search import TicketSearch
from tickets.models.ticket import Ticket

__all__ = [
    "ACTIVE_PROBLEM",
    "BroadcastKind",
    "BroadcastState",
    "BroadcastTicket",
    "Burst",
    "BurstThreshold",
    "Problem",
    "ProblemBroadcast",
    "ProblemStatus",
    "PRIORITY_RANK",
    "WAITING_FOR_STAFF",
    "Attachment",
    "AuthVerdict",
    "CannedReply",
    "DeliveryState",
    "EscalationRefused",
    "InboundEmail",
    "InboundState",
    "Measure",
    "NewTicketCount",
    "Notification",
    "NotificationKind",
    "OpenTicketCount",
    "EventKind",
    "Message",
    "Priority",
    "Rating",
    "RatingRefused",
    "Scale",
    "Score",
    "RemovalReason",
    "ResponseTimeCount",
    "Source",
    "Speaker",
    "Status",
    "Ticket",
    "TicketEvent",
    "TicketSearch",
]
