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
    PROBLEM_LINKED = "problem_linked", _("Linked to a problem")
    PROBLEM_UNLINKED = "problem_unlinked", _("Unlinked from a problem")
    PROBLEM_STATUS = "problem_status", _("Problem status changed")
    ERASED = "erased", _("Closed: the customer's account was erased")
    RATED = "rated", _("Rated")


class Scale(models.TextChoices):
    """How a department asks for satisfaction."""

    GOOD_BAD = "good_bad", _("Good or bad")
    FIVE = "five", _("1 to 5")


class Score(models.TextChoices):
    """A customer's answer, on either scale (the values appear in the links of the closing e-mail)."""

    GOOD = "good", _("Good")
    BAD = "bad", _("Bad")
    FIVE = "5", _("5 · Very satisfied")
    FOUR = "4", _("4 · Satisfied")
    THREE = "3", _("3 · Neither")
    TWO = "2", _("2 · Dissatisfied")
    ONE = "1", _("1 · Very dissatisfied")


# The answers each scale offers, best first.
SCALE_SCORES = {
    Scale.GOOD_BAD: (Score.GOOD, Score.BAD),
    Scale.FIVE: (Score.FIVE, Score.FOUR, Score.THREE, Score.TWO, Score.ONE),
}
# Each answer as points from 1 to 5, so both scales add up in one report: good is 5, bad 1.
SCORE_POINTS = {Score.GOOD: 5, Score.BAD: 1, **{score: int(score) for score in SCALE_SCORES[Scale.FIVE]}}
# Satisfied from this many points up; dissatisfied (a bad rating, told to the supervisors) up to BAD_POINTS.
GOOD_POINTS = 4
BAD_POINTS = 2


class ProblemStatus(models.TextChoices):
    """Where a recurring problem (tickets.models.problem) stands."""

    INVESTIGATING = "investigating", _("Investigating")
    KNOWN = "known", _("Known")
    SOLVED = "solved", _("Solved")


class UnlinkReason(models.TextChoices):
    """Why a ticket left its problem when staff did not unlink it by hand (the event's new_value)."""

    TRANSFERRED = "transferred", _("transferred to another department")
