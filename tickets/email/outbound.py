"""The one builder of outgoing ticket e-mail: a Notification row in, an EmailMultiAlternatives out.

Every kind of notification renders the template triple `emails/ticket-<kind>-subject.txt`,
`-body.txt` and `-body.html` in the recipient's language and time zone, and gets the same
headers: the department as sender and Reply-To, our Message-ID, threading headers, and
`Auto-Submitted` so that well-behaved auto-responders do not answer.
"""

import re
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Value
from django.template.loader import render_to_string
from django.utils import timezone, translation

from helpdesk.brand import brand
from helpdesk.links import site_url
from helpdesk.mail import AUTOMATIC_HEADERS
from tickets.models import Message, Notification, NotificationKind, Source

# Kinds addressed to staff: their links go to the workspace and they see internal context.
STAFF_KINDS = {
    NotificationKind.NEW_TICKET,
    NotificationKind.CUSTOMER_REPLY,
    NotificationKind.ESCALATED,
    NotificationKind.OVERDUE,
    NotificationKind.BAD_RATING,
    NotificationKind.BURST,
}

# Kinds the department's escalation audience receives (bursts too, for no ticket): the mail says
# as what its reader gets it.
ESCALATION_KINDS = {NotificationKind.ESCALATED, NotificationKind.OVERDUE, NotificationKind.BAD_RATING}

# References grows with the thread; mail clients need the root and the recent ancestors only.
MAX_REFERENCES = 20


def one_line(text):
    """Header text without CR/LF (no header injection) and with runs of spaces collapsed."""
    return " ".join(str(text).split())


def build_message(notification, connection=None):
    ticket = notification.ticket
    source = ticket or notification.inbound or notification.burst
    department = source.department if source else None
    context = _context(notification)
    name = "emails/ticket-" + notification.kind.replace("_", "-")
    with (
        translation.override(notification.language or settings.LANGUAGE_CODE),
        timezone.override(_time_zone(notification)),
    ):
        subject = one_line(render_to_string(f"{name}-subject.txt", context))
        text = _tidy(render_to_string(f"{name}-body.txt", context))
        html = render_to_string(f"{name}-body.html", context)
    if ticket is not None:
        subject = one_line(f"{settings.EMAIL_SUBJECT_PREFIX_TICKET} [{ticket.display_reference}] {subject}")
    headers = {"Message-ID": notification.message_id, **AUTOMATIC_HEADERS}
    references = _references(notification)
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    if department is not None:
        sender = formataddr((one_line(department.name), department.email))
        reply_to = [department.email]
    else:
        sender, reply_to = settings.DEFAULT_FROM_EMAIL, []
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender,
        to=[notification.recipient],
        reply_to=reply_to,
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def _tidy(text):
    """Template tags leave runs of blank lines in plain text: keep at most one."""
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text).strip() + "\n"


def _context(notification):
    ticket = notification.ticket
    for_staff = notification.kind in STAFF_KINDS
    message = notification.thread_message
    subject = ticket.subject if ticket else ""
    if ticket is not None and ticket.customer_id is None and not for_staff:
        # A guest's address is only the From of a message nobody vouched for: what we send there
        # repeats none of that message's text (its subject, its body), or a forged From would make
        # us mail someone else words of the forger's choosing. Staff's own replies still go.
        subject = ticket.department.name
        message = message if message is not None and message.from_staff else None
    context = {
        "notification": notification,
        "ticket": ticket,
        "subject": subject,
        "message": message,
        "event": notification.event,
        "inbound": notification.inbound,
        "for_staff": for_staff,
        "recipient_name": notification.recipient_user.first_name if notification.recipient_user else "",
        **brand(absolute=True),
        "SITE_URL": site_url(""),
    }
    if ticket is not None:
        path = ticket.get_staff_url() if for_staff else ticket.get_absolute_url()
        context["link"] = site_url(path)
        context["merged_into"] = ticket.merged_into
        if notification.kind in ESCALATION_KINDS:
            context["audience"] = ticket.department.escalation_audience()[0]
            context["audience_department"] = ticket.department
    if notification.burst is not None:
        context["audience"] = notification.burst.department.escalation_audience()[0]
        context["audience_department"] = notification.burst.department
        context["burst"] = notification.burst
        context["burst_tickets"] = list(notification.burst.tickets.order_by("created_at"))
        context["link"] = site_url(notification.burst.get_absolute_url())
    if message is not None:
        context["attachment_names"] = [a.original_name for a in message.attachments.all()]
    return context


def _time_zone(notification):
    """The recipient's time zone; a contact reads in the customer's; otherwise the site's."""
    user = notification.recipient_user
    if user is None and notification.kind not in STAFF_KINDS and notification.ticket is not None:
        user = notification.ticket.customer
    return (user.time_zone if user is not None else "") or settings.TIME_ZONE


def _references(notification):
    """Message-IDs this e-mail follows, oldest first: the thread's messages and this recipient's earlier mail.

    The message this e-mail carries counts only if it came by mail (its sender's client knows that
    Message-ID); the one we gave it otherwise appears in later mail, not in its own.
    """
    ticket = notification.ticket
    if ticket is None:
        return []
    messages = Message.objects.filter(ticket=ticket, message_id__isnull=False)
    if notification.kind not in STAFF_KINDS:
        messages = messages.filter(internal=False)
    carried = notification.thread_message
    if carried is not None:
        messages = messages.filter(created_at__lte=carried.created_at)
        if carried.source != Source.EMAIL:
            messages = messages.exclude(pk=carried.pk)
    earlier = Notification.objects.filter(
        ticket=ticket, recipient__iexact=notification.recipient, created_at__lte=notification.created_at
    ).exclude(pk=notification.pk)
    # One query for both; at equal times a message comes before the mail about it.
    columns = ("created_at", "order", "pk", "message_id")
    dated = (
        messages.order_by()
        .annotate(order=Value(0))
        .values_list(*columns)
        .union(earlier.order_by().annotate(order=Value(1)).values_list(*columns), all=True)
    )
    ids = list(dict.fromkeys(message_id for *_sort_key, message_id in sorted(dated)))
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    return ids
