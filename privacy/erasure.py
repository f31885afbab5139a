"""Erasing a customer's account (LGPD art. 18): anonymise it, keep the statistics.

The account row and its tickets stay, so every count and time on the dashboard stays as it was;
what identifies the person goes: name and addresses, contacts, files, raw mail, pending mail to
them, and (where the department says so) the text of their messages.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from privacy.models import Erasure
from tickets.models import Attachment, InboundEmail, Message, Notification, RemovalReason, Ticket, TicketEvent


def anonymous_name(number):
    """The name an erased account goes by, in the installation's language (it is stored)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Removed customer #%(number)s") % {"number": number}


def anonymous_email(number):
    # The reserved .invalid domain: no mail can ever reach it, and the address stays unique.
    return f"removed-{number}@erased.invalid"


def erasure_refusal(user):
    """Why this account cannot be erased, or None."""
    if Erasure.objects.filter(user=user).exists():
        return _("This account was already erased.")
    if user.is_superuser or user.is_staff or user.memberships.exists():
        return _("Staff accounts are not erased this way: remove their departments and admin access first.")
    return None


def erase(user, *, by, requested_at=None):
    """Erase `user`'s account, irreversibly; `by` is who did it (the customer themself, or an admin).

    Returns the Erasure record. Raises ValidationError for an account that may not be erased."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        refusal = erasure_refusal(user)
        if refusal:
            raise ValidationError(refusal, code="not_erasable")
        number = user.pk
        addresses = {
            address.lower()
            for address in [
                user.email,
                *user.contacts.values_list("email", flat=True),
                *EmailAddress.objects.filter(user=user).values_list("email", flat=True),
            ]
        }
        tickets = Ticket.objects.filter(customer=user)
        by_customer = by is not None and by.pk == user.pk
        record = Erasure(user=user, requested_at=requested_at, erased_by=by, by_customer=by_customer)

        for ticket in tickets.open().order_by("pk"):
            record.tickets_closed += ticket.close_on_erasure(by=None if by_customer else by) is not None

        # Their side of the threads: what they wrote, and what their contacts wrote on their tickets.
        theirs = Message.objects.filter(Q(ticket__in=tickets, from_staff=False) | Q(author=user))
        for attachment in Attachment.objects.filter(message__in=theirs).stored():
            attachment.remove(RemovalReason.ERASURE)
            record.files_removed += 1
        with translation.override(settings.LANGUAGE_CODE):
            removed_text = gettext("(Text removed when the customer's account was erased.)")
        record.messages_anonymised = theirs.update(author=user, sender_email="", body_original="")
        theirs.filter(ticket__department__erasure_keeps_text=False).update(body=removed_text)
        TicketEvent.objects.filter(actor=user, ticket__department__erasure_keeps_text=False).exclude(note="").update(
            note=removed_text
        )

        raw = InboundEmail.objects.filter(Q(ticket__in=tickets) | Q(sender__in=addresses))
        record.raw_mails_deleted = raw.count()
        raw.delete()
        Notification.objects.filter(Q(recipient_user=user) | Q(recipient__in=addresses)).delete()

        for export in user.data_exports.all():
            export.delete_file()
        user.data_exports.all().delete()
        user.contacts.all().delete()
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()

        user.name = anonymous_name(number)
        user.email = anonymous_email(number)
        user.language = user.time_zone = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        record.erased_at = timezone.now()
        record.save()
    return record
