"""The helpdesk's rules, each defined once: who may see a ticket, and what "active", "overdue" and
"escalated" mean. Querysets, aggregates and Python checks are all derived from these.

A rule is a condition on a ticket's fields, given as a Q (for querysets and aggregates) and
as the same test on values (for one ticket in hand); tickets/tests/test_rules.py checks that
both forms agree on every combination of the values they read.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.enums import WAITING_FOR_STAFF, Status

# Every status but Closed: the tickets still being worked.
ACTIVE_STATUSES = tuple(status for status in Status if status != Status.CLOSED)

# The status filters of the queue and of My tickets: "active" (the default), one status, or "all".
ACTIVE = "active"
ALL = "all"
STATUS_FILTERS = [(ACTIVE, _("Active")), *Status.choices, (ALL, _("All"))]


def statuses_of_filter(value):
    """The statuses a status filter selects (None for an unknown filter)."""
    if value == ACTIVE:
        return ACTIVE_STATUSES
    if value == ALL:
        return tuple(Status)
    return (Status(value),) if value in Status.values else None


def active(prefix=""):
    return ~Q(**{f"{prefix}status": Status.CLOSED})


def is_active(status):
    return status != Status.CLOSED


def overdue(now, prefix=""):
    """Waiting for staff past its due time."""
    return Q(**{f"{prefix}status__in": WAITING_FOR_STAFF, f"{prefix}due_at__lt": now})


def is_overdue(status, due_at, now):
    return status in WAITING_FOR_STAFF and due_at is not None and due_at < now


def escalated(prefix=""):
    """Flagged for the supervisors and not closed."""
    return Q(**{f"{prefix}escalated_at__isnull": False}) & active(prefix)


def is_escalated(status, escalated_at):
    return escalated_at is not None and is_active(status)


class StaffAccess:
    """The staff side of the access rule: a user sees the tickets (their messages, their notes,
    the mail received for them) of the departments they work; superusers every department; an
    anonymous or deactivated user none."""

    def __init__(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            self.departments = frozenset()
        elif user.is_superuser:
            self.departments = None  # every department
        else:
            self.departments = frozenset(user.department_ids)

    @property
    def everything(self):
        return self.departments is None

    def condition(self, department="department_id"):
        """The rule as a Q on a department column; Q() for a superuser."""
        return Q() if self.everything else Q(**{f"{department}__in": sorted(self.departments)})

    def allows(self, department_id):
        return self.everything or department_id in self.departments


class CustomerAccess:
    """The customer side of the access rule: an active user sees the tickets they opened."""

    def __init__(self, user):
        active_user = user is not None and user.is_authenticated and user.is_active
        self.user_id = user.pk if active_user else None

    def condition(self, customer="customer_id"):
        return Q(**{customer: self.user_id}) if self.user_id is not None else Q(pk__in=[])

    def allows(self, customer_id):
        return self.user_id is not None and customer_id == self.user_id
