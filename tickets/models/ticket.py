from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from tickets.enums import WAITING_FOR_STAFF, Priority, Speaker, Status
from tickets.models import rollup, rules
from tickets.models.lifecycle import TicketLifecycle
from tickets.models.satisfaction import TicketSatisfaction


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The access rule (tickets.models.rules): which tickets `user` may see at all.

        Customers see their own tickets; agents and supervisors the tickets of their
        departments; superusers everything; anonymous visitors nothing. Each panel narrows
        this further (the customer panel to `customer=user`), never widens it.
        """
        staff = rules.StaffAccess(user)
        if staff.everything:
            return self.all()
        return self.filter(rules.CustomerAccess(user).condition() | staff.condition())

    def staff_visible_to(self, user):
        """The staff side of `visible_to`: tickets of the departments `user` works (all for superusers).

        Without the customer side's OR, which PostgreSQL cannot drop and which would keep the
        queue's indexes from answering alone.
        """
        return self.filter(rules.StaffAccess(user).condition())

    def customer_visible_to(self, user):
        """The customer side of `visible_to`: the tickets `user` opened."""
        return self.filter(rules.CustomerAccess(user).condition())

    def open(self):
        return self.filter(rules.active())

    def closed(self):
        return self.filter(status=Status.CLOSED)

    def with_status_filter(self, value):
        """The tickets of one of rules.STATUS_FILTERS: the active ones, one status, or all."""
        if value == rules.ACTIVE:
            return self.open()
        if value == rules.ALL:
            return self.all()
        return self.filter(status=value)

    def waiting_for_staff(self):
        return self.filter(status__in=WAITING_FOR_STAFF)

    def overdue(self, now=None):
        return self.filter(rules.overdue(now or timezone.now()))

    def escalated(self):
        return self.filter(rules.escalated())

    def auto_closable(self, now):
        """Answered tickets whose last staff answer is older than their department's auto_close_days (0: never)."""
        waited_long = Q()
        windows = Department.objects.filter(auto_close_days__gt=0).values_list("pk", "auto_close_days")
        for department_id, days in windows:
            waited_long |= Q(department_id=department_id, waiting_since__lt=now - timedelta(days=days))
        if not waited_long:
            return self.none()
        last_answer = Max("messages__created_at", filter=Q(messages__from_staff=True, messages__internal=False))
        return (
            self.filter(status=Status.ANSWERED)
            .annotate(waiting_since=Coalesce(last_answer, "updated_at"))
            .filter(waited_long)
        )


class Ticket(TicketLifecycle, TicketSatisfaction, models.Model):
    reference = models.PositiveBigIntegerField(_("reference"), unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tickets",
        null=True,
        blank=True,
        verbose_name=_("customer"),
        help_text=_("Empty for a guest ticket opened by e-mail from outside (only staff see it)."),
    )
    guest_email = models.EmailField(_("guest address"), blank=True)
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("department")
    )
    service = models.ForeignKey(
        "departments.Service",
        on_delete=models.PROTECT,
        related_name="tickets",
        null=True,
        blank=True,
        verbose_name=_("service"),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField(_("subject"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    site = models.CharField(_("site address or domain"), max_length=255, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        null=True,
        blank=True,
        verbose_name=_("assignee"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
        verbose_name=_("merged into"),
    )
    # The recurring problem this ticket is one of (tickets.models.problem): at most one.
    problem = models.ForeignKey(
        "tickets.Problem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("problem"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last update"), default=timezone.now)
    last_speaker = models.CharField(_("spoke last"), max_length=10, choices=Speaker.choices, default=Speaker.CUSTOMER)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Cleared when the ticket reopens; a later close by staff is a resolution like any other.
    closed_on_erasure = models.BooleanField(
        _("closed on erasure"),
        default=False,
        editable=False,
        help_text=_(
            "Closed because the customer's account was erased: nobody solved it, so it counts in no "
            "resolution figure and asks for no rating."
        ),
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # The nearest target still pending while the ticket waits for staff: what the queue sorts by.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    breached_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    # The response clock: seconds it has run (on the department's clock) before the current
    # period, and when the current period began (empty while the ticket waits for the customer).
    sla_elapsed = models.PositiveIntegerField(_("clock time used (seconds)"), default=0)
    sla_clock_started_at = models.DateTimeField(_("clock running since"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["department", "status", "-updated_at"], name="ticket_dept_status_upd"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_upd"),
            models.Index(fields=["department", "-updated_at"], name="ticket_dept_upd"),
            models.Index(fields=["department", "-created_at"], name="ticket_dept_created"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_status_upd"),
            models.Index(fields=["customer", "-updated_at"], name="ticket_customer_upd"),
            models.Index(fields=["department", "due_at"], name="ticket_dept_due"),
            models.Index(fields=["due_at"], name="ticket_due", condition=Q(due_at__isnull=False)),
            # The dashboard's overdue tickets whose breach is not recorded yet (beat's mark-overdue
            # records it within a minute): only tickets still within their targets are in it.
            models.Index(
                fields=["due_at"],
                name="ticket_due_unmarked",
                condition=Q(due_at__isnull=False, breached_at__isnull=True),
            ),
            models.Index(fields=["escalated_at"], name="ticket_escalated", condition=Q(escalated_at__isnull=False)),
            models.Index(fields=["-updated_at"], name="ticket_open_upd", condition=~Q(status="closed")),
            # The queue's keyset pages over all statuses (sort key, then id): deep pages start at the cursor.
            models.Index(fields=["-updated_at", "-id"], name="ticket_upd_id"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_id"),
            models.Index(fields=["merged_into"], name="ticket_merged", condition=Q(merged_into__isnull=False)),
            models.Index(fields=["problem"], name="ticket_problem", condition=Q(problem__isnull=False)),
            # Similar tickets (tickets.problems): a service's latest tickets, as ticket_dept_created a department's.
            models.Index(fields=["service", "-created_at"], name="ticket_service_created"),
            # The dashboard's period figures: first responses given and tickets closed in a period.
            models.Index(
                fields=["first_response_at"], name="ticket_first_response", condition=Q(first_response_at__isnull=False)
            ),
            models.Index(fields=["closed_at"], name="ticket_closed", condition=Q(closed_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.display_reference} {self.subject}"

    def save(self, **kwargs):
        """Save, and append what the change makes to the dashboard's counts in the same transaction.

        The state before is read from the row itself (locked until the transaction ends), not from
        this instance, which may have been loaded long ago. Saves that write no counted field
        (the last update time alone, say) skip both.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not rollup.COUNTED_FIELDS.intersection(update_fields):
            return super().save(**kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            before = None
            if self.pk is not None and not kwargs.get("force_insert"):
                row = (
                    type(self)
                    .objects.select_for_update(no_key=True)
                    .filter(pk=self.pk)
                    .values(*rollup.STATE_FIELDS)
                    .first()
                )
                before = row and SimpleNamespace(**row)
            super().save(**kwargs)
            rollup.record(before, self)

    @property
    def display_reference(self):
        return f"#{self.reference}"

    def get_absolute_url(self):
        return reverse("tickets:detail", args=[self.reference])

    def get_staff_url(self):
        return reverse("staff:ticket", args=[self.reference])

    @property
    def requester_email(self):
        return self.customer.email if self.customer_id else self.guest_email

    @property
    def is_closed(self):
        return self.status == Status.CLOSED

    @property
    def is_waiting_for_customer(self):
        return self.status == Status.ANSWERED

    def is_overdue(self, now=None):
        return rules.is_overdue(self.status, self.due_at, now or timezone.now())

    @property
    def is_escalated(self):
        return rules.is_escalated(self.status, self.escalated_at)

    def is_staff_member(self, user):
        """Whether `user` works this ticket's department (staff side of the access rule)."""
        return rules.StaffAccess(user).allows(self.department_id)

    def is_customer(self, user):
        """Whether `user` is this ticket's customer (customer side of the access rule)."""
        return rules.CustomerAccess(user).allows(self.customer_id)

    def can_be_assigned_to(self, user):
        """Only active agents of the ticket's department (or superusers) may be assigned."""
        return user is not None and user.is_active and self.is_staff_member(user)
