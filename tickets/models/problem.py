"""Recurring problems: one underlying fault (a server down, a mail relay refusing) with the tickets
it caused, answered and solved together; and the bursts of new tickets that announce one.

A ticket belongs to at most one problem (Ticket.problem). Linking, unlinking and every change of
the problem's status are TicketEvents in each linked ticket's thread. Replies to all linked
tickets go out as ProblemBroadcasts: one BroadcastTicket row per ticket, claimed before its reply
is posted, so the Celery task that works through them (tickets.tasks.problems) can run twice,
or stop halfway and start again, and each customer still gets exactly one reply.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets import signals
from tickets.enums import EventKind, ProblemStatus
from tickets.models import rules
from tickets.models.event import TicketEvent
from tickets.models.ticket import Ticket

ACTIVE_PROBLEM = (ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN)


def works_in(user, department_id):
    """Whether `user` is staff of the department: the staff side of the access rule
    (tickets.models.rules), for objects (problems, bursts) that belong to a department."""
    return rules.StaffAccess(user).allows(department_id)


class ProblemQuerySet(models.QuerySet):
    def staff_visible_to(self, user):
        """The problems of the departments whose tickets `user` works: the staff side of the access
        rule (tickets.models.rules), applied to the problem's department."""
        return self.filter(rules.StaffAccess(user).condition())

    def active(self):
        return self.filter(status__in=ACTIVE_PROBLEM)

    def known_issues(self, department):
        """What customers opening a ticket in `department` are shown: its active problems with a public note."""
        return (
            self.active()
            .filter(department=department)
            .exclude(public_note="")
            .select_related("service")
            .order_by("-created_at")
        )

    def with_ticket_counts(self):
        return self.annotate(ticket_count=Count("tickets", distinct=True))


class Problem(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description for staff"), blank=True)
    public_note = models.TextField(
        _("public note"),
        blank=True,
        help_text=_("Shown to customers on their linked tickets and, while not solved, on the new-ticket form."),
    )
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="problems", verbose_name=_("department")
    )
    service = models.ForeignKey(
        "departments.Service",
        on_delete=models.PROTECT,
        related_name="problems",
        null=True,
        blank=True,
        verbose_name=_("service"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.INVESTIGATING
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last update"), default=timezone.now)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["department", "status"], name="problem_dept_status"),
            models.Index(fields=["created_at"], name="problem_created"),
        ]

    def __str__(self):
        return f"{self.display_reference} {self.title}"

    @property
    def display_reference(self):
        return f"P-{self.pk}"

    def get_absolute_url(self):
        return reverse("staff:problem", args=[self.pk])

    @property
    def is_active(self):
        return self.status in ACTIVE_PROBLEM

    def is_staff_member(self, user):
        return works_in(user, self.department_id)

    def time_open(self, now=None):
        return (self.solved_at or now or timezone.now()) - self.created_at

    @classmethod
    def open_from(cls, *, by, department, title, service=None, description="", public_note="", tickets=()):
        """A new problem, with `tickets` linked to it (each with its event)."""
        with transaction.atomic():
            problem = cls.objects.create(
                title=title,
                description=description,
                public_note=public_note,
                department=department,
                service=service,
                opened_by=by,
            )
            for ticket in tickets:
                problem.link(ticket, by=by)
        return problem

    def link(self, ticket, *, by):
        """Tie `ticket` to this problem. Raises ValidationError when it cannot be; returns whether it changed."""
        with transaction.atomic():
            ticket._lock()
            if ticket.problem_id == self.pk:
                return False
            if ticket.department_id != self.department_id:
                raise ValidationError(
                    _("%(reference)s is in %(department)s; this problem belongs to %(problem_department)s."),
                    code="problem_other_department",
                    params={
                        "reference": ticket.display_reference,
                        "department": ticket.department,
                        "problem_department": self.department,
                    },
                )
            if ticket.problem_id is not None:
                raise ValidationError(
                    _("%(reference)s already belongs to problem %(problem)s: unlink it there first."),
                    code="problem_already_linked",
                    params={"reference": ticket.display_reference, "problem": ticket.problem},
                )
            ticket.problem = self
            ticket.save(update_fields=["problem"])
            ticket._record(EventKind.PROBLEM_LINKED, by, new=self.title, note=str(self.pk))
            self._touch()
        return True

    def unlink(self, ticket, *, by, reason=""):
        """Release `ticket` from this problem; returns whether it was linked. `reason` (an
        UnlinkReason) says why when staff did not choose to."""
        with transaction.atomic():
            ticket._lock()
            if ticket.problem_id != self.pk:
                return False
            ticket.problem = None
            ticket.save(update_fields=["problem"])
            ticket._record(EventKind.PROBLEM_UNLINKED, by, old=self.title, new=reason, note=str(self.pk))
            self._touch()
        return True

    def update(self, *, by, title, description, public_note, service, status):
        """The edit form: text, service and status (a status change is an event in every linked ticket)."""
        with transaction.atomic():
            self._lock()
            self.title, self.description, self.public_note, self.service = title, description, public_note, service
            self._change_status(status, by)
            self.updated_at = timezone.now()
            self.save()

    def set_status(self, status, *, by):
        with transaction.atomic():
            self._lock()
            if self._change_status(status, by):
                self.save(update_fields=["status", "solved_at", "updated_at"])

    def reply_to_all(self, *, by, body):
        """Post `body` as a staff reply of its own to every linked ticket that is not closed (by the task)."""
        return self._broadcast(by=by, body=body, kind=BroadcastKind.REPLY)

    def solve(self, *, by, body, close=False):
        """Mark the problem solved and post the resolution to every linked open ticket, which becomes
        Answered, or Closed when `close`. Returns the broadcast the task works through."""
        with transaction.atomic():
            self.set_status(ProblemStatus.SOLVED, by=by)
            return self._broadcast(by=by, body=body, kind=BroadcastKind.SOLUTION, close=close)

    def history(self, limit=50):
        """The problem's own events, newest first: each link and unlink, and each status change once
        (it is one event in every linked ticket, all written at the same instant)."""
        events = TicketEvent.objects.filter(note=str(self.pk))
        links = events.filter(kind__in=[EventKind.PROBLEM_LINKED, EventKind.PROBLEM_UNLINKED])
        one_per_change = (
            events.filter(kind=EventKind.PROBLEM_STATUS).values("created_at").annotate(first=Min("pk")).values("first")
        )
        return list(
            TicketEvent.objects.filter(Q(pk__in=links.values("pk")) | Q(pk__in=one_per_change))
            .select_related("actor", "ticket")
            .order_by("-created_at", "-pk")[:limit]
        )

    def current_broadcast(self):
        """The latest broadcast not yet finished, or None."""
        return self.broadcasts.filter(finished_at__isnull=True).order_by("-created_at").first()

    # Helpers

    def _broadcast(self, *, by, body, kind, close=False):
        with transaction.atomic():
            self._lock()
            broadcast = ProblemBroadcast.objects.create(problem=self, kind=kind, body=body, author=by, close=close)
            targets = Ticket.objects.filter(problem=self).open().values_list("pk", flat=True)
            BroadcastTicket.objects.bulk_create(
                [BroadcastTicket(broadcast=broadcast, ticket_id=pk) for pk in targets], batch_size=1000
            )
            broadcast.total = broadcast.items.count()
            if not broadcast.total:
                broadcast.finished_at = timezone.now()
            broadcast.save(update_fields=["total", "finished_at"])
            self._touch()
            if broadcast.total:
                # tickets.tasks.problems receives it and queues the posting once this commits.
                signals.broadcast_started.send(ProblemBroadcast, broadcast=broadcast)
        return broadcast

    def _lock(self):
        fresh = type(self).objects.select_for_update(no_key=True).get(pk=self.pk)  # as Ticket._lock
        for field in self._meta.concrete_fields:
            setattr(self, field.attname, getattr(fresh, field.attname))

    def _touch(self):
        self.updated_at = timezone.now()
        type(self).objects.filter(pk=self.pk).update(updated_at=self.updated_at)

    def _change_status(self, status, by):
        """Set the status in memory and record it in every linked ticket's thread; returns whether it changed."""
        status = ProblemStatus(status)
        if status == self.status:
            return False
        old, now = self.status, timezone.now()
        self.status = status
        self.solved_at = now if status == ProblemStatus.SOLVED else None
        self.updated_at = now
        actor = by if by is not None and by.is_authenticated else None
        TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    ticket_id=pk,
                    actor=actor,
                    kind=EventKind.PROBLEM_STATUS,
                    old_value=old,
                    new_value=status,
                    note=str(self.pk),
                    created_at=now,
                )
                for pk in self.tickets.values_list("pk", flat=True)
            ],
            batch_size=1000,
        )
        return True


class BroadcastKind(models.TextChoices):
    REPLY = "reply", _("Reply to all")
    SOLUTION = "solution", _("Solution")


class ProblemBroadcast(models.Model):
    """One text written on a problem and posted to each of its linked tickets as a staff reply of its own."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="broadcasts", verbose_name=_("problem"))
    kind = models.CharField(_("kind"), max_length=10, choices=BroadcastKind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    close = models.BooleanField(_("close the tickets"), default=False)
    total = models.PositiveIntegerField(_("tickets"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply to a problem's tickets")
        verbose_name_plural = _("replies to a problem's tickets")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.problem} · {self.get_kind_display()}"

    def progress(self):
        """(tickets handled, tickets in all)."""
        handled = self.items.exclude(state=BroadcastState.PENDING).count()
        return handled, self.total

    def post_to(self, item_pk):
        """Post this broadcast to one ticket, if its row is still pending: the row is claimed in the
        reply's own transaction, so a second run (or a second worker) skips it. Returns whether it posted."""
        with transaction.atomic():
            claimed = BroadcastTicket.objects.filter(pk=item_pk, state=BroadcastState.PENDING).update(
                state=BroadcastState.CLAIMED, handled_at=timezone.now()
            )
            if not claimed:
                return False
            item = BroadcastTicket.objects.select_related("ticket").get(pk=item_pk)
            ticket = Ticket.objects.select_related("department", "customer").get(pk=item.ticket_id)
            if ticket.problem_id != self.problem_id or ticket.is_closed:
                # Unlinked or closed since the text was written: not this customer's conversation any more.
                item.state = BroadcastState.SKIPPED
                item.save(update_fields=["state"])
                return False
            if self.close:
                message = ticket.reply_and_close(author=self.author, body=self.body)
            else:
                message = ticket.reply(author=self.author, body=self.body, from_staff=True)
            item.state, item.message = BroadcastState.POSTED, message
            item.save(update_fields=["state", "message"])
        return True

    def finish_if_done(self):
        if not self.items.filter(state=BroadcastState.PENDING).exists():
            type(self).objects.filter(pk=self.pk, finished_at__isnull=True).update(finished_at=timezone.now())


class BroadcastState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    CLAIMED = "claimed", _("Being posted")
    POSTED = "posted", _("Posted")
    SKIPPED = "skipped", _("Skipped")


class BroadcastTicket(models.Model):
    """A broadcast's reply to one ticket: pending until posted, claimed in the same transaction as the reply."""

    broadcast = models.ForeignKey(ProblemBroadcast, on_delete=models.CASCADE, related_name="items")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=BroadcastState.choices, default=BroadcastState.PENDING)
    message = models.ForeignKey("tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["broadcast", "ticket"], name="broadcast_ticket_unique")]
        indexes = [models.Index(fields=["broadcast", "state"], name="broadcast_state")]

    def __str__(self):
        return f"{self.broadcast_id} → {self.ticket_id}: {self.state}"


class BurstThreshold(models.Model):
    """How many new tickets of one service, within how many minutes, make a burst in a department."""

    DEFAULT_TICKETS, DEFAULT_MINUTES = 5, 15

    department = models.OneToOneField(
        "departments.Department", on_delete=models.CASCADE, related_name="burst_threshold", verbose_name=_("department")
    )
    tickets = models.PositiveSmallIntegerField(
        _("new tickets"), default=DEFAULT_TICKETS, help_text=_("0 turns burst alerts off for this department.")
    )
    minutes = models.PositiveSmallIntegerField(_("within minutes"), default=DEFAULT_MINUTES)

    class Meta:
        verbose_name = _("burst threshold")
        verbose_name_plural = _("burst thresholds")
        constraints = [models.CheckConstraint(condition=Q(minutes__gt=0), name="burst_minutes_positive")]

    def __str__(self):
        return f"{self.department}: {self.tickets} / {self.minutes} min"

    @classmethod
    def for_department(cls, department):
        """The department's threshold (the default one when the admin set none)."""
        found = cls.objects.filter(department=department).first()
        return found or cls(department=department)

    @property
    def window(self):
        return timedelta(minutes=self.minutes)


class Burst(models.Model):
    """Unusually many new tickets of one service in a department: the supervisors are told once per burst."""

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="bursts", verbose_name=_("department")
    )
    service = models.ForeignKey(
        "departments.Service", on_delete=models.CASCADE, related_name="bursts", verbose_name=_("service")
    )
    tickets = models.ManyToManyField("tickets.Ticket", related_name="bursts", verbose_name=_("tickets"))
    detected_at = models.DateTimeField(_("noticed"), default=timezone.now)
    last_ticket_at = models.DateTimeField(_("latest ticket"))
    problem = models.ForeignKey(
        Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="bursts", verbose_name=_("problem")
    )

    class Meta:
        verbose_name = _("burst")
        verbose_name_plural = _("bursts")
        ordering = ["-detected_at"]
        indexes = [models.Index(fields=["department", "service", "-last_ticket_at"], name="burst_recent")]

    def __str__(self):
        return f"{self.service} · {self.department} · {self.detected_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("staff:problem_new") + f"?burst={self.pk}"

    def add(self, tickets):
        """Add tickets that came in while the burst goes on, without telling anyone again."""
        self.tickets.add(*tickets)
        latest = max((ticket.created_at for ticket in tickets), default=self.last_ticket_at)
        if latest > self.last_ticket_at:
            self.last_ticket_at = latest
            self.save(update_fields=["last_ticket_at"])

    def open_tickets(self):
        return self.tickets.open().filter(problem__isnull=True)
