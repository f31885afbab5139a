"""Received e-mail: the one ingestion function behind the MTA pipe command and the webhooks.

`ingest(raw)` stores the raw message first (so nothing received is ever lost), then reads it
and decides, in this order:

1. too large, too many parts, unreadable → REJECTED (the MTA bounces it);
2. machine-generated (auto-replies, bounces, lists, our own mail coming back) → DROPPED:
   nothing opens, nothing reopens, nobody is answered, so no mail loop can start; a bounce of
   one of our notifications marks that delivery bounced;
3. no single, strictly parsed From address → REJECTED;
4. sender authentication failed (DMARC, or both SPF and DKIM, as a trusted host reports them),
   or was not done and INBOUND_UNAUTHENTICATED says "hold"; or a text part cannot be decoded →
   HELD for review, and nobody is told (the From address may be forged);
5. a reply (In-Reply-To/References against our stored Message-IDs, then `[#123456]` in the
   subject) from that ticket's customer, one of their verified contacts, or the guest who
   opened it → added to the ticket. Anyone else changes nothing there: their mail goes on as new;
6. new mail to a department's address from a verified customer or a verified contact →
   a new ticket for that customer; to a department that accepts anyone → a guest ticket;
7. otherwise HELD for the department's staff to review, and the sender is told (at most once a
   day per address, with no text of theirs) that tickets must come from the registered address.

A Message-ID seen before at the same recipient is stored once and processed once (one message to
two departments is two deliveries, a ticket in each); so is a message without one whose
sender, recipients, subject, date and body were seen within INBOUND_DUPLICATE_WINDOW.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

# Reasons are stored in English, as a log would; the review page shows the fixed ones translated.
from django.utils.translation import gettext, gettext_noop

from accounts.models import Contact
from departments.models import Department
from helpdesk import ratelimit
from tickets import notify
from tickets.attachments import MAX_FILES, check_bytes
from tickets.email import authentication, mime
from tickets.email.ids import is_our_message_id
from tickets.email.text import strip_quoted
from tickets.email.tracking import record_bounce
from tickets.models import AuthVerdict, InboundEmail, InboundState, Message, Notification, Source, Ticket

log = logging.getLogger(__name__)

_REFERENCE = re.compile(r"\[#(\d{6,12})\]")
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|res|resp|aw|sv)\s*(?:\[\d+\])?\s*:)+", re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# What is kept of a message over the size limit: its headers, for the record.
_MAX_KEPT_HEADERS = 64 * 1024
# Recipient addresses considered when looking for the department.
_MAX_RECIPIENTS = 20


@dataclass
class Requester:
    """Who a message is from, as the ticket sees it: the customer (or None for a guest) and,
    when the writer is not the customer's own account, the address that wrote."""

    customer: object
    sender_email: str = ""

    @property
    def author(self):
        return None if self.sender_email else self.customer


@dataclass(frozen=True)
class Envelope:
    """What the MTA or the provider says about a message besides the message itself.

    `sender` is None when unknown, "" for the null sender of a bounce; `results` are the sender
    authentication results a provider's signed webhook reported.
    """

    recipient: str = ""
    sender: str | None = None
    results: tuple = ()

    @property
    def from_mail_system(self):
        return self.sender is not None and self.sender.strip("<>").lower().partition("@")[0] in ("", "mailer-daemon")


def ingest(raw, *, recipient=None, envelope=None):
    """Store and process one raw RFC 822 message; returns its InboundEmail in a final state.

    `recipient` is the envelope recipient when the MTA or provider gives it (or an Envelope with
    more). Malformed input never raises; a database failure does (the caller answers "try again
    later"), and a retry of the same message resumes it.
    """
    raw = bytes(raw)
    envelope = envelope or Envelope()
    recipient = _address(recipient or envelope.recipient)
    too_large = len(raw) > settings.INBOUND_MAX_BYTES
    kept = _header_section(raw) if too_large else raw
    inbound, created = _store(kept, mime.read_message_id(kept), recipient)
    if not created and inbound.state != InboundState.RECEIVED:
        log.info("inbound %s: duplicate of a processed message (%s)", inbound.pk, inbound.state)
        return inbound
    if too_large:
        inbound.finish(
            InboundState.REJECTED,
            reason=f"message too large ({len(raw)} bytes; the limit is {settings.INBOUND_MAX_BYTES})",
        )
    else:
        inbound = _process(inbound.pk, raw, recipient, envelope)
    log.info("inbound %s: %s %s", inbound.pk, inbound.state, inbound.reason)
    return inbound


def receive_from_provider(sender, event, esp_name, **kwargs):
    """django-anymail's inbound signal (any provider's webhook; connected in TicketsConfig.ready).

    anymail has authenticated the post already; an exception here becomes a 500, which the
    provider retries.
    """
    message = event.message
    envelope = Envelope(
        recipient=message.envelope_recipient or "",
        sender=message.envelope_sender,
        results=tuple(authentication.provider_results(esp_name, event)),
    )
    ingest(message.as_bytes(), envelope=envelope)


def _header_section(raw):
    match = _HEADER_END.search(raw, 0, _MAX_KEPT_HEADERS)
    return raw[: match.end()] if match else raw[:_MAX_KEPT_HEADERS]


def _address(value):
    return mime.one_line(value or "").strip("<>").lower()[:254]


def _store(raw, message_id, recipient):
    """Keep the raw message; a copy seen before (by Message-ID or fingerprint) returns the earlier row instead."""
    fingerprint, earlier = None, None
    if not message_id:
        fingerprint, earlier = _fingerprint(raw, recipient)
    if earlier is not None:
        return earlier, False
    try:
        with transaction.atomic():
            return InboundEmail.objects.create(
                raw=raw,
                message_id=message_id,
                fingerprint=fingerprint,
                recipient=recipient,
                envelope_recipient=recipient,
            ), True
    except IntegrityError:
        lookup = (
            {"message_id": message_id, "envelope_recipient": recipient} if message_id else {"fingerprint": fingerprint}
        )
        earlier = InboundEmail.objects.defer("raw").filter(**lookup).first()
        if earlier is None:
            raise
        return earlier, False


def _fingerprint(raw, recipient):
    """(the fingerprint of a message without a Message-ID, an earlier copy in the window or None).

    Who, to whom, about what, when and what it says; the transport's own headers (Received,
    Delivered-To) differ between two deliveries of one message and are left out. The window number
    goes in the fingerprint, so the unique constraint catches two copies processed at once; a
    copy just across a window's edge is found by looking at the previous window too.
    """
    headers = mime.parse_bytes(raw, headers_only=True)
    digest = hashlib.sha256(recipient.encode())
    for name in ("from", "to", "cc", "subject", "date"):
        digest.update(b"\0" + "\n".join(mime.one_line(value) for value in mime.raw_headers(headers, name)).encode())
    match = _HEADER_END.search(raw)
    digest.update(b"\0" + (raw[match.end() :] if match else b"").replace(b"\r\n", b"\n"))
    window = settings.INBOUND_DUPLICATE_WINDOW
    now = timezone.now()
    number = int(now.timestamp()) // window
    earlier = (
        InboundEmail.objects.defer("raw")
        .filter(fingerprint=f"{digest.hexdigest()}:{number - 1}", received_at__gte=now - timedelta(seconds=window))
        .first()
    )
    return f"{digest.hexdigest()}:{number}", earlier


def _process(pk, raw, envelope_recipient, envelope):
    with transaction.atomic():
        # Locked: a second delivery of the same message waits here, then finds it processed.
        inbound = InboundEmail.objects.select_for_update().defer("raw").get(pk=pk)
        if inbound.state != InboundState.RECEIVED:
            return inbound
        try:
            mail = mime.parse(raw, settings.INBOUND_MAX_PARTS)
        except mime.MalformedMail as error:
            inbound.finish(InboundState.REJECTED, reason=f"malformed message: {error}")
            return inbound
        state, reason, fields = _route(mail, envelope_recipient, envelope)
        if fields.pop("bounce", False):
            record_bounce(raw, [mail.text.encode("utf-8"), *(data for _name, data in mail.attachments)])
        inbound.finish(state, reason=reason, sender=mail.sender, subject=mail.subject, **fields)
        if fields.get("notice_sent_at"):
            notify.unknown_sender(inbound)
    return inbound


def _route(mail, envelope_recipient, envelope):
    """Decide what the mail is and act on it; returns (state, reason, fields of the InboundEmail)."""
    # The department is recorded even on mail that goes no further, so its staff can see what was refused.
    department, address, from_us = _addresses(mail, envelope_recipient)
    fields = {
        "recipient": address or envelope_recipient or (mail.recipients[:1] or [""])[0][:254],
        "department": department,
    }
    if mail.bounce or envelope.from_mail_system:
        return InboundState.DROPPED, mail.automatic or gettext_noop("empty return path"), {**fields, "bounce": True}
    automatic = mail.automatic or _echo(mail, from_us)
    if automatic:
        return InboundState.DROPPED, automatic, fields
    if not mail.sender:
        return InboundState.REJECTED, mail.sender_problem, fields
    ticket = _matching_ticket(mail)
    if ticket is None and department is None:
        return InboundState.REJECTED, gettext_noop("not addressed to a department"), fields
    fields["department"] = department = department or ticket.department
    checked = authentication.judge(mail.authentication_results, mail.sender, envelope.results)
    fields.update(verdict=checked.verdict, authentication=checked.summary)
    if checked.failed:
        return InboundState.HELD, gettext_noop("sender authentication failed"), fields
    if checked.verdict == AuthVerdict.NONE and settings.INBOUND_UNAUTHENTICATED == "hold":
        return InboundState.HELD, gettext_noop("sender not authenticated"), fields
    if mail.unreadable:
        return InboundState.HELD, gettext_noop("content that cannot be decoded"), fields
    if not ratelimit.allow("inbound_sender", mail.sender):
        return InboundState.HELD, gettext_noop("too many messages from this address"), fields

    if ticket is not None:
        writer = _writer_for(ticket, mail.sender)
        added = _already_added(ticket, mail)
        if writer is not None and added is not None:
            # The same reply delivered to a second of our addresses (To one department, Cc another).
            return InboundState.ACCEPTED, gettext_noop("copy of a reply already added"), {**fields, "ticket": ticket}
        if writer is not None:
            message = _add_reply(ticket, writer, mail)
            return InboundState.ACCEPTED, gettext_noop("reply"), {**fields, "ticket": ticket, "result_message": message}
        if _works_department(mail.sender, ticket):
            reason = f"staff mail about {ticket.display_reference}: staff reply in the workspace"
            return InboundState.HELD, reason, fields
        # Someone else's mail about this ticket changes nothing there: it goes on as new mail.

    requester = requester_for(mail.sender)
    if requester is None and department.accepts_anyone:
        requester = Requester(customer=None, sender_email=mail.sender)
    if requester is not None:
        ticket = _open_ticket(department, requester, mail)
        reason = gettext_noop("guest ticket") if requester.customer is None else gettext_noop("new ticket")
        return InboundState.ACCEPTED, reason, {**fields, "ticket": ticket, "result_message": ticket.messages.first()}

    now = timezone.now()
    _one_sender_at_a_time(mail.sender)
    recently = InboundEmail.objects.filter(sender=mail.sender, notice_sent_at__gt=now - timedelta(days=1))
    if not recently.exists():
        fields["notice_sent_at"] = now
    return InboundState.HELD, gettext_noop("unknown sender"), fields


def _one_sender_at_a_time(address):
    """Hold other workers' mail from `address` until this transaction ends: two messages from an
    unknown sender processed at once would each find no notice sent today, and send two.
    (PostgreSQL; SQLite writes one transaction at a time anyway.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"unknown-sender:{address.lower()}"])


def _addresses(mail, envelope_recipient):
    """One query for our addresses: (the active department the mail is for, the address that matched it,
    whether the sender is one of our own addresses)."""
    recipients = [address for address in [envelope_recipient, *mail.recipients] if address][:_MAX_RECIPIENTS]
    wanted = {*recipients, mail.sender} - {""}
    query = Q()
    for address in wanted:
        query |= Q(email__iexact=address)
    ours = {department.email.lower(): department for department in Department.objects.filter(query)} if wanted else {}
    from_us = mail.sender in ours or mail.sender == parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    for address in recipients:
        if address in ours and ours[address].active:
            return ours[address], address, from_us
    return None, "", from_us


def _echo(mail, from_us):
    """Our own mail coming back (a forward, a misconfigured alias): never processed again."""
    if is_our_message_id(mail.message_id):
        return gettext_noop("our own Message-ID")
    if from_us:
        return gettext_noop("sent from our own address")
    return ""


def _matching_ticket(mail):
    """The ticket a reply belongs to: by our Message-IDs in its threading headers, else by subject."""
    ids = mail.thread_ids
    if ids:
        found = dict(Message.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"))
        found.update(
            Notification.objects.filter(message_id__in=ids, ticket__isnull=False).values_list("message_id", "ticket_id")
        )
        for message_id in ids:
            if message_id in found:
                return _current(Ticket.objects.select_related("customer").get(pk=found[message_id]))
    match = _REFERENCE.search(mail.subject)
    if match:
        ticket = Ticket.objects.select_related("customer").filter(reference=int(match.group(1))).first()
        return _current(ticket) if ticket else None
    return None


def _current(ticket):
    """A merged ticket's conversation continues in the ticket it was merged into."""
    for _hop in range(10):
        if ticket.merged_into_id is None:
            break
        ticket = ticket.merged_into
    return ticket


def _writer_for(ticket, address):
    """The Requester if `address` may write to `ticket`: its customer, their verified contact, or its guest."""
    customer = ticket.customer
    if customer is None:
        return Requester(None, address) if ticket.guest_email.lower() == address else None
    if not customer.is_active:
        return None
    if EmailAddress.objects.filter(user=customer, email__iexact=address, verified=True).exists():
        return Requester(customer)
    if Contact.objects.verified().filter(user=customer, email=address).exists():
        return Requester(customer, address)
    return None


def requester_for(address):
    """A verified customer's own address, or a verified contact of exactly one customer; else None."""
    verified = EmailAddress.objects.filter(email__iexact=address, verified=True, user__is_active=True)
    account = verified.select_related("user").first()
    if account is not None:
        return Requester(account.user)
    owners = {contact.user for contact in Contact.objects.verified().filter(email=address, user__is_active=True)}
    if len(owners) == 1:
        return Requester(owners.pop(), address)
    return None


def _works_department(address, ticket):
    account = EmailAddress.objects.filter(email__iexact=address, verified=True).select_related("user").first()
    return account is not None and ticket.is_staff_member(account.user)


def _already_added(ticket, mail):
    if not mail.message_id:
        return None
    return Message.objects.filter(ticket=ticket, message_id=mail.message_id).first()


def _unused_message_id(mail):
    """The mail's Message-ID for the message it becomes, unless a ticket of another department
    already has it (one message to two departments opens a ticket in each)."""
    if mail.message_id and Message.objects.filter(message_id=mail.message_id).exists():
        return ""
    return mail.message_id


def _add_reply(ticket, writer, mail):
    body, original, uploads = _content(mail)
    return ticket.reply(
        author=writer.author,
        sender_email=writer.sender_email,
        body=body,
        body_original=original,
        uploads=uploads,
        source=Source.EMAIL,
        # Unique among messages too: a Message-ID seen before never gets this far (stored once), and
        # ours, which the thread's other messages carry, are dropped as echoes.
        message_id=_unused_message_id(mail),
        from_staff=False,
    )


def _open_ticket(department, requester, mail):
    body, original, uploads = _content(mail)
    is_guest = requester.customer is None
    return Ticket.open(
        customer=requester.customer,
        department=department,
        subject=_ticket_subject(mail.subject),
        body=body,
        body_original=original,
        uploads=uploads,
        source=Source.EMAIL,
        guest_email=requester.sender_email if is_guest else "",
        sender_email="" if is_guest else requester.sender_email,
        message_id=_unused_message_id(mail),
    )


def accept_held(inbound, *, by):
    """Staff accept held mail: it opens a ticket (the sender's customer's, or a guest ticket).

    Returns the ticket, or None when the mail was no longer held (someone reviewed it first).
    """
    with transaction.atomic():
        locked = inbound.lock_held()
        if locked is None:
            return None
        ticket = open_ticket_from_held(locked)
        locked.finish(InboundState.ACCEPTED, ticket=ticket, result_message=ticket.messages.first(), reviewed_by=by)
    inbound.refresh_from_db()
    return ticket


def open_ticket_from_held(inbound):
    """For accept_held: the ticket of held mail, for the customer the address belongs to, or a guest's."""
    mail = mime.parse(bytes(inbound.raw), settings.INBOUND_MAX_PARTS)
    requester = requester_for(mail.sender) or Requester(customer=None, sender_email=mail.sender)
    return _open_ticket(inbound.department, requester, mail)


def _ticket_subject(subject):
    subject = _REPLY_PREFIX.sub("", _REFERENCE.sub("", subject)).strip()
    if not subject:
        with translation.override(settings.LANGUAGE_CODE):
            subject = gettext("(no subject)")
    return subject[:200]


def _texts(mail):
    """The text without quoted history and signature; and the whole text, when that removed anything.

    The place of a part that could not be decoded says so in the site's language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        text = mail.text.replace(mime.UNREADABLE, gettext(mime.UNREADABLE))
    body = strip_quoted(text)
    return body, (text if text != body else "")


def _content(mail):
    """The message text without quoted history, the whole text if that differs, and the checked files.

    A file that fails the upload checks does not lose the message: its name goes in a note line.
    """
    body, original = _texts(mail)
    uploads, refused = [], []
    for name, data in mail.attachments:
        if len(uploads) >= MAX_FILES:
            refused.append(name)
            continue
        try:
            uploads.append(check_bytes(data, name))
        except ValidationError:
            refused.append(name)
    if refused:
        with translation.override(settings.LANGUAGE_CODE):
            note = gettext("Attachments not accepted: %(names)s") % {"names": ", ".join(refused)}
        body = f"{body}\n\n[{note}]".strip()
    return body, original, uploads


# How much of the raw form of undecodable mail the review page shows.
_RAW_EXCERPT = 20_000


@dataclass
class Preview:
    """What staff read of held mail before deciding: its text, its files, whose ticket it would open,
    and, when a part could not be decoded, the raw message (as ASCII, undecodable bytes escaped)."""

    text: str
    original: str
    files: list
    customer: object
    raw: str = ""


def preview(inbound):
    try:
        mail = mime.parse(bytes(inbound.raw), settings.INBOUND_MAX_PARTS)
    except mime.MalformedMail:
        return Preview("", "", [], None)
    requester = requester_for(mail.sender) if mail.sender else None
    body, original = _texts(mail)
    return Preview(
        text=body,
        original=original,
        files=[name for name, _data in mail.attachments],
        customer=requester.customer if requester else None,
        raw=bytes(inbound.raw)[:_RAW_EXCERPT].decode("ascii", "backslashreplace") if mail.unreadable else "",
    )
