"""The choices of tickets and messages (no models here: departments and the rules import them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    CUSTOMER_REPLY = "customer_reply", _("Customer reply")
    ON_HOLD = "on_hold", _("On hold")
    CLOSED = "closed", _("Closed")


# Statuses in which the ticket waits for staff: the response clock runs.
WAITING_FOR_STAFF = (Status.OPEN, Status.IN_PROGRESS, Status.CUSTOMER_REPLY)


class Source(models.TextChoices):
    """How a message reached the thread."""

    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    SYSTEM = "system", _("System")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# Sort weight of each priority, highest first in the queue.
PRIORITY_RANK = {Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1}


class Speaker(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    STAFF = "staff", _("Support team")


class EventKind(models.TextChoices):
    CREATED = "created", _("Opened")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    SERVICE = "service", _("Service changed")
    DEPARTMENT = "department", _("Transferred")
    ASSIGNEE = "assignee", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    OVERDUE = "overdue", _("Overdue")
    AUTO_CLOSED = "auto_closed", _("Closed automatically")
    MERGED = "merged", _("Merged")
    ERASED = "erased", _("Closed: the customer's account was erased")
