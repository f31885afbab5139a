"""Celery tasks of the tickets app (autodiscovered as `tickets.tasks`)."""

from tickets.tasks.mail import send_notification, sweep_outbox

__all__ = ["send_notification", "sweep_outbox"]
