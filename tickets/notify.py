"""Who is told what: one function per cause, called inside the transaction of that cause.

Each function writes one Notification row per recipient (the outbox) in the caller's
transaction and asks for the sending only after commit, so a rolled-back reply mails nobody
and a committed one is never lost: if the broker is unreachable the row stays queued and the
periodic sweep (tickets.tasks.mail.sweep_outbox) sends it later.
"""

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from helpdesk import ratelimit
from tickets import signals
from tickets.email.ids import new_message_id
from tickets.models import Notification, NotificationKind
from tickets.tasks.mail import queue_notifications


def ticket_opened(ticket, message):
    """Acknowledge a new ticket to its requesters; tell the department's agents about it."""
    author = message.author
    requesters = _requesters(ticket)
    if ticket.customer_id is None and not ratelimit.allow("guest_notice", ticket.guest_email.lower()):
        requesters = []  # a guest's address got enough acknowledgements today
    _notify(NotificationKind.ACKNOWLEDGEMENT, ticket, requesters, thread_message=message)
    _notify(
        NotificationKind.NEW_TICKET,
        ticket,
        _users(ticket.department.agents(), exclude=author),
        thread_message=message,
    )


def reply_added(message):
    """A staff reply goes to the requesters; a customer's or contact's to the assignee, or else the agents.

    Internal notes are never mailed.
    """
    if message.internal:
        return
    ticket = message.ticket
    if message.from_staff:
        recipients = _requesters(ticket, exclude=message.author)
        kind = NotificationKind.STAFF_REPLY
    else:
        if ticket.assignee_id and ticket.assignee.is_active:
            staff = [ticket.assignee]
        else:
            staff = ticket.department.agents()
        recipients = _users(staff, exclude=message.author)
        kind = NotificationKind.CUSTOMER_REPLY
    _notify(kind, ticket, recipients, thread_message=message)


def ticket_closed(ticket, event, automatic=False):
    """Tell the requesters their ticket was closed (not the person who closed it)."""
    kind = NotificationKind.AUTO_CLOSED if automatic else NotificationKind.CLOSED
    _notify(kind, ticket, _requesters(ticket, exclude=event.actor), event=event)


def ticket_escalated(ticket, event):
    _tell_supervisors(NotificationKind.ESCALATED, ticket, event)


def ticket_overdue(ticket, event):
    _tell_supervisors(NotificationKind.OVERDUE, ticket, event)


def bad_rating(ticket, event):
    """A bad rating, with its comment, to the supervisors of the ticket's department."""
    _tell_supervisors(NotificationKind.BAD_RATING, ticket, event)


def _tell_supervisors(kind, ticket, event):
    _notify(kind, ticket, _users(ticket.department.escalation_recipients(), exclude=event.actor), event=event)


def ticket_merged(ticket, into, event):
    """Tell the requesters of a merged ticket the reference their conversation continues under."""
    _notify(NotificationKind.MERGED, ticket, _requesters(ticket, exclude=event.actor), event=event)


def burst_noticed(burst):
    """Tell the department's supervisors of a burst of similar new tickets (once per burst); a
    department without any, its agents, else the superusers, as for escalations."""
    _notify(NotificationKind.BURST, None, _users(burst.department.escalation_recipients()), burst=burst)


def unknown_sender(inbound_email):
    """A short notice that tickets must come from the registered address (the caller limits how often)."""
    _notify(
        NotificationKind.UNKNOWN_SENDER,
        None,
        [(inbound_email.sender, None, settings.LANGUAGE_CODE)],
        inbound=inbound_email,
    )


# Recipients are (address, user or None, language) triples.


def _language(user):
    return (user.language if user is not None else "") or settings.LANGUAGE_CODE


def _users(users, exclude=None):
    exclude_pk = exclude.pk if exclude is not None else None
    return [(user.email, user, _language(user)) for user in users if user.pk != exclude_pk]


def _requesters(ticket, exclude=None):
    """The customer (or the guest's address) and the customer's verified additional contacts."""
    customer = ticket.customer
    if customer is None:
        return [(ticket.guest_email, None, settings.LANGUAGE_CODE)] if ticket.guest_email else []
    recipients = _users([customer] if customer.is_active else [], exclude=exclude)
    # Contacts read in the customer's language: they follow the customer's tickets.
    language = _language(customer)
    recipients += [(contact.email, None, language) for contact in customer.contacts.verified()]
    return recipients


def _notify(kind, ticket, recipients, *, thread_message=None, event=None, inbound=None, burst=None):
    seen = set()
    rows = []
    for address, user, language in recipients:
        if not address or address.lower() in seen:
            continue
        seen.add(address.lower())
        rows.append(
            Notification.objects.create(
                kind=kind,
                ticket=ticket,
                thread_message=thread_message,
                event=event,
                inbound=inbound,
                burst=burst,
                recipient=address,
                recipient_user=user,
                language=language,
                message_id=new_message_id(ticket),
            )
        )
    if not rows:
        return
    if thread_message is not None and not thread_message.message_id:
        # The thread's own Message-ID: later mails of the ticket cite it in References.
        thread_message.message_id = new_message_id(ticket)
        thread_message.save(update_fields=["message_id"])
    pks = [row.pk for row in rows]
    transaction.on_commit(lambda: queue_notifications(pks))


# The state changes of tickets.models.lifecycle, received (TicketsConfig.ready imports this module).


@receiver(signals.ticket_opened, dispatch_uid="tickets.notify.ticket_opened")
def _on_ticket_opened(sender, *, ticket, message, **kwargs):
    ticket_opened(ticket, message)


@receiver(signals.reply_added, dispatch_uid="tickets.notify.reply_added")
def _on_reply_added(sender, *, message, **kwargs):
    reply_added(message)


@receiver(signals.ticket_closed, dispatch_uid="tickets.notify.ticket_closed")
def _on_ticket_closed(sender, *, ticket, event, automatic, **kwargs):
    ticket_closed(ticket, event, automatic=automatic)


@receiver(signals.ticket_merged, dispatch_uid="tickets.notify.ticket_merged")
def _on_ticket_merged(sender, *, ticket, target, event, **kwargs):
    ticket_merged(ticket, target, event)


@receiver(signals.ticket_escalated, dispatch_uid="tickets.notify.ticket_escalated")
def _on_ticket_escalated(sender, *, ticket, event, **kwargs):
    ticket_escalated(ticket, event)


@receiver(signals.ticket_overdue, dispatch_uid="tickets.notify.ticket_overdue")
def _on_ticket_overdue(sender, *, ticket, event, **kwargs):
    ticket_overdue(ticket, event)


@receiver(signals.bad_rating, dispatch_uid="tickets.notify.bad_rating")
def _on_bad_rating(sender, *, ticket, event, **kwargs):
    bad_rating(ticket, event)
