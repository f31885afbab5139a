"""Celery tasks of the tickets app (autodiscovered as `tickets.tasks`)."""

from tickets.tasks.dashboard import compact_rollups, reconcile_rollups, refresh_dashboard
from tickets.tasks.mail import send_notification, sweep_outbox
from tickets.tasks.problems import notice_bursts, post_broadcast, resume_broadcasts
from tickets.tasks.sla import auto_close_tickets, mark_overdue_tickets

__all__ = [
    "auto_close_tickets",
    "compact_rollups",
    "mark_overdue_tickets",
    "notice_bursts",
    "post_broadcast",
    "reconcile_rollups",
    "refresh_dashboard",
    "resume_broadcasts",
    "send_notification",
    "sweep_outbox",
]
