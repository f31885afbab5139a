import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from tickets import signals, sla
from tickets.enums import EventKind, Priority, Source, Speaker, Status, UnlinkReason
from tickets.models.event import TicketEvent


def generate_reference(tickets, digits=6, attempts=8):
    """A random public reference for a new row of `tickets`, not guessable from the database id.

    Six digits while they are plentiful; after repeated collisions the space grows a digit.
    """
    while True:
        low = 10 ** (digits - 1)
        for _attempt in range(attempts):
            candidate = low + secrets.randbelow(9 * low)
            if not tickets.filter(reference=candidate).exists():
                return candidate
        digits += 1


# A customer may escalate a ticket at most once in this interval.
ESCALATION_INTERVAL = timedelta(days=1)


class EscalationRefused(Exception):
    """The ticket cannot be escalated now; the message says why, in the customer's language."""


class TicketLifecycle:
    """The state changes of a Ticket (mixed into the model, kept apart from its fields and queries).

    Each runs in one transaction, locks the row, and records a TicketEvent.
    """

    @classmethod
    def open(
        cls,
        *,
        customer,
        department,
        subject,
        body,
        summary="",
        priority=Priority.MEDIUM,
        service=None,
        site="",
        uploads=(),
        source=None,
        guest_email="",
        sender_email="",
        message_id="",
        body_original="",
        by=None,
    ):
        """Open a ticket with its first message (and attachments) and record the event.

        `sender_email` names who wrote when it is not the customer: an additional contact by e-mail.
        """

        now = timezone.now()
        with transaction.atomic():
            ticket = cls(
                reference=generate_reference(cls.objects),
                customer=customer,
                guest_email=guest_email,
                department=department,
                service=service,
                priority=priority,
                subject=subject,
                summary=summary,
                site=site,
                created_at=now,
                updated_at=now,
                last_speaker=Speaker.CUSTOMER,
            )
            sla.update_clock(ticket, now)
            ticket.save(force_insert=True)
            author = by or (None if sender_email else customer)
            ticket._record(EventKind.CREATED, author)
            message = ticket.messages.create_with_uploads(
                ticket=ticket,
                author=author,
                sender_email=sender_email or ("" if author else guest_email),
                body=body,
                body_original=body_original,
                from_staff=False,
                source=source or Source.WEB,
                message_id=message_id,
                uploads=uploads,
                created_at=now,
            )
            signals.ticket_opened.send(cls, ticket=ticket, message=message)
        return ticket

    def reply(
        self,
        *,
        author,
        body,
        uploads=(),
        internal=False,
        source=None,
        sender_email="",
        message_id="",
        body_original="",
        from_staff=None,
    ):
        """Add a message to the thread and move the status as PRODUCT.md says.

        A staff reply sets Answered (and the first response time); a customer reply sets
        Customer reply, or Open if staff never answered, and reopens a closed ticket.
        An internal note changes no status.
        """

        if from_staff is None:
            from_staff = author is not None and author.pk != self.customer_id and self.is_staff_member(author)
        now = timezone.now()
        with transaction.atomic():
            self._lock()
            message = self.messages.create_with_uploads(
                ticket=self,
                author=author,
                sender_email=sender_email,
                body=body,
                body_original=body_original,
                from_staff=from_staff,
                internal=internal,
                source=source or Source.WEB,
                message_id=message_id,
                uploads=uploads,
                created_at=now,
            )
            fields = ["updated_at"]
            self.updated_at = now
            if not internal:
                if from_staff:
                    new_status = Status.ANSWERED
                    self.last_speaker = Speaker.STAFF
                    if self.first_response_at is None:
                        self.first_response_at = now
                        fields.append("first_response_at")
                    if self.escalated_at is not None:
                        # The staff answer is what the escalation asked for: the flag is lowered.
                        self.escalated_at = None
                        fields.append("escalated_at")
                else:
                    new_status = Status.CUSTOMER_REPLY if self.first_response_at else Status.OPEN
                    self.last_speaker = Speaker.CUSTOMER
                fields.append("last_speaker")
                fields += self._change_status(new_status, author)[0]
            self.save(update_fields=fields)
            signals.reply_added.send(type(self), message=message)
        return message

    def set_status(self, status, *, by):
        """Returns the STATUS event, or None when the ticket already had that status."""
        with transaction.atomic():
            self._lock()
            fields, event = self._change_status(Status(status), by)
            if event is not None:
                self.updated_at = timezone.now()
                self.save(update_fields=fields + ["updated_at"])
                if self.status == Status.CLOSED:
                    signals.ticket_closed.send(type(self), ticket=self, event=event, automatic=False)
        return event

    def close(self, *, by):
        return self.set_status(Status.CLOSED, by=by)

    def set_priority(self, priority, *, by):
        return self._change_field("priority", Priority(priority), EventKind.PRIORITY, by)

    def set_service(self, service, *, by):
        return self._change_field("service", service, EventKind.SERVICE, by)

    def assign(self, agent, *, by):
        """Give the ticket to `agent` (None: nobody). Raises ValidationError for someone who may not work it."""
        with transaction.atomic():
            self._lock()
            if agent is not None and not self.can_be_assigned_to(agent):
                raise ValidationError(
                    _("%(agent)s does not work in %(department)s."),
                    code="not_assignable",
                    params={"agent": agent, "department": self.department},
                )
            return self._change_field("assignee", agent, EventKind.ASSIGNEE, by)

    def change_details(self, *, by, status, priority, service):
        """The workspace's details form: each value that differs changes (with its event), all at once.

        Returns the events recorded."""
        with transaction.atomic():
            events = [
                self.set_status(status, by=by),
                self.set_priority(priority, by=by),
                self.set_service(service, by=by),
            ]
        return [event for event in events if event is not None]

    def reply_and_close(self, *, author, body, uploads=()):
        """A staff answer that also closes the ticket: the reply's e-mail is the customer's only notice."""
        with transaction.atomic():
            message = self.reply(author=author, body=body, uploads=uploads, from_staff=True)
            fields, _event = self._change_status(Status.CLOSED, author)
            if fields:
                self.save(update_fields=fields)
        return message

    def merge_into(self, target, *, by):
        """Merge this duplicate into `target`: its messages (with their files) move there, both threads
        record the merge, this ticket closes pointing at `target`, and its requesters are told.

        Raises ValidationError when the merge is not possible. Returns this ticket's MERGED event.
        """

        with transaction.atomic():
            # Both rows locked in primary-key order, so two merges of the same pair cannot deadlock.
            rows = type(self).objects.select_for_update(no_key=True).filter(pk__in=[self.pk, target.pk]).order_by("pk")
            fresh = {row.pk: row for row in rows}
            self._take(fresh[self.pk])
            target._take(fresh[target.pk])
            if target.pk == self.pk:
                raise ValidationError(_("A ticket cannot be merged into itself."), code="merge_self")
            if self.merged_into_id:
                raise ValidationError(_("This ticket was already merged."), code="merge_merged")
            if target.merged_into_id:
                raise ValidationError(
                    _("%(reference)s was itself merged into another ticket."),
                    code="merge_target_merged",
                    params={"reference": target.display_reference},
                )
            if (self.customer_id, self.guest_email.lower()) != (target.customer_id, target.guest_email.lower()):
                # The customer of the target would read this ticket's messages.
                raise ValidationError(
                    _("Only tickets of the same customer can be merged."), code="merge_other_customer"
                )
            now = timezone.now()
            self.messages.update(ticket=target)
            event = self._record(EventKind.MERGED, by, new=target.display_reference)
            target._record(EventKind.MERGED, by, old=self.display_reference)
            fields, _event = self._change_status(Status.CLOSED, by)
            self.merged_into = target
            self.updated_at = target.updated_at = now
            self.save(update_fields=[*fields, "merged_into", "updated_at"])
            target.save(update_fields=["updated_at"])
            signals.ticket_merged.send(type(self), ticket=self, target=target, event=event)
        return event

    def transfer(self, department, *, by):
        """Move the ticket to another department; an assignee who does not work there is released,
        and so is the ticket's problem when it belongs to another department (a problem's tickets
        are those its staff see)."""
        with transaction.atomic():
            self._lock()
            if department.pk == self.department_id:
                return
            old = self.department
            self.department = department
            fields = ["department", "updated_at"]
            if self.assignee_id and not self.is_staff_member(self.assignee):
                self._record(EventKind.ASSIGNEE, by, str(self.assignee), "")
                self.assignee = None
                fields.append("assignee")
            self.updated_at = timezone.now()
            # The new department's targets and clock apply, and its supervisors hear of a breach anew.
            fields += sla.update_clock(self, self.updated_at, new_target=True)
            self.save(update_fields=fields)
            event = self._record(EventKind.DEPARTMENT, by, str(old), str(department))
            problem = self.problem
            if problem is not None and problem.department_id != department.pk:
                problem.unlink(self, by=by, reason=UnlinkReason.TRANSFERRED)
            return event

    def escalation_refusal(self, now=None):
        """Why the ticket cannot be escalated now (a message for the customer), or None if it can.

        A ticket can be escalated when its response time has passed, or when it was answered and
        the answer did not help; at most once a day.
        """
        now = now or timezone.now()
        if not (self.is_overdue(now) or self.status == Status.ANSWERED):
            return _(
                "A ticket can be escalated when our response time has passed, or after an answer that did not help."
            )
        last = (
            self.events.filter(kind=EventKind.ESCALATED, created_at__gt=now - ESCALATION_INTERVAL)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if last is not None:
            again = formats.date_format(timezone.localtime(last + ESCALATION_INTERVAL), "SHORT_DATETIME_FORMAT")
            return _(
                "This ticket was escalated less than a day ago and the supervisors were told. "
                "From %(time)s you can escalate it again."
            ) % {"time": again}
        return None

    def escalate(self, *, by, reason):
        """Flag the ticket for the department's supervisors, with the reason given.

        Raises EscalationRefused when `escalation_refusal` says no (checked under the row lock, so
        two clicks at once escalate once). An Answered ticket whose answer did not help waits for
        staff again (Customer reply), so its clock runs and it cannot be closed automatically.
        """
        with transaction.atomic():
            self._lock()
            now = timezone.now()
            refusal = self.escalation_refusal(now)
            if refusal:
                raise EscalationRefused(refusal)
            fields = ["escalated_at", "updated_at"]
            if self.status == Status.ANSWERED:
                fields += self._change_status(Status.CUSTOMER_REPLY, by)[0]
            self.escalated_at = self.updated_at = now
            self.save(update_fields=fields)
            event = self._record(EventKind.ESCALATED, by, note=reason)
            signals.ticket_escalated.send(type(self), ticket=self, event=event)
            return event

    def mark_overdue(self, now=None):
        """Record that the pending target has passed and tell the supervisors, once per breach.

        Re-checked under the row lock: when several workers try at the same moment only the first
        marks the row, records the event and notifies. Returns the event, or None when there was
        nothing (more) to mark.
        """
        now = now or timezone.now()
        with transaction.atomic():
            self._lock()
            if self.breached_at is not None or not self.is_overdue(now):
                return None
            self.breached_at = now
            self.save(update_fields=["breached_at"])
            first_response = self.first_response_at is None and self.due_at == self.first_response_due_at
            event = self._record(EventKind.OVERDUE, None, new="first_response" if first_response else "resolution")
            signals.ticket_overdue.send(type(self), ticket=self, event=event)
            return event

    def auto_close(self, now=None):
        """Close an Answered ticket left without a customer reply for the department's auto_close_days.

        Re-checked under the row lock, so two workers close (and notify) once. Returns the event,
        or None when the ticket does not qualify (any more).
        """
        now = now or timezone.now()
        with transaction.atomic():
            self._lock()
            if not type(self).objects.auto_closable(now).filter(pk=self.pk).exists():
                return None
            fields, event = self._change_status(Status.CLOSED, None, kind=EventKind.AUTO_CLOSED)
            self.updated_at = now
            self.save(update_fields=fields + ["updated_at"])
            signals.ticket_closed.send(type(self), ticket=self, event=event, automatic=True)
            return event

    def close_on_erasure(self, *, by):
        """Close an open ticket because its customer's account is erased: recorded, nobody mailed
        (the customer's address is gone), and no resolution (`closed_on_erasure`): the dashboard's
        resolution figures and the survey's closes leave it out. Returns the ERASED event, or None
        when it was closed already."""
        with transaction.atomic():
            self._lock()
            fields, event = self._change_status(Status.CLOSED, by, kind=EventKind.ERASED)
            if event is not None:
                self.updated_at = timezone.now()
                self.save(update_fields=fields + ["updated_at"])
            return event

    # Helpers

    def _lock(self):
        """Lock the row for this transaction and refresh what another request may have changed.

        FOR NO KEY UPDATE, the lock an UPDATE takes: it leaves alone the checks of rows that refer to
        the ticket (a problem's reply to all recording its targets, an event), which FOR UPDATE
        would make wait, in a circle when their transaction holds a row this one needs next.
        """
        self._take(type(self).objects.select_for_update(no_key=True).get(pk=self.pk))

    def _take(self, fresh):
        """Copy the values of `fresh` (the same row, just read) into this instance."""
        for field in self._meta.concrete_fields:
            setattr(self, field.attname, getattr(fresh, field.attname))
        for cached in ("department", "assignee", "service", "customer"):
            self._state.fields_cache.pop(cached, None)

    def _change_status(self, new_status, by, kind=None):
        """Set the status in memory, run or stop the response clock, record the event.

        Returns the fields to save and the event ([] and None when the status is unchanged)."""
        if new_status == self.status:
            return [], None
        old = self.status
        now = timezone.now()
        self.status = new_status
        fields = ["status"]
        if new_status == Status.CLOSED:
            self.closed_at = now
            self.closed_on_erasure = kind == EventKind.ERASED
            fields += ["closed_at", "closed_on_erasure"]
            if self.escalated_at is not None:
                self.escalated_at = None
                fields.append("escalated_at")
        elif old == Status.CLOSED:
            self.closed_at = None
            self.closed_on_erasure = False
            fields += ["closed_at", "closed_on_erasure"]
        fields += sla.update_clock(self, now)
        return fields, self._record(kind or EventKind.STATUS, by, old, new_status)

    def _change_field(self, name, value, kind, by):
        with transaction.atomic():
            self._lock()
            old = getattr(self, name)
            if old == value:
                return
            setattr(self, name, value)
            self.updated_at = timezone.now()
            # A priority change moves the due times; the other fields leave them as they are.
            self.save(update_fields=[name, "updated_at", *sla.update_clock(self, self.updated_at)])
            return self._record(kind, by, "" if old is None else str(old), "" if value is None else str(value))

    def _record(self, kind, actor, old="", new="", note=""):
        return TicketEvent.objects.create(
            ticket=self,
            actor=actor if actor is not None and actor.is_authenticated else None,
            kind=kind,
            old_value=old,
            new_value=new,
            note=note,
        )
