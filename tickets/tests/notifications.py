"""Helpers of the notification tests: find the mail a person got, read it as the recipient's client would."""

from email import message_from_bytes, policy

from django.utils import timezone

from accounts.models import Contact


def add_contact(customer, email, *, verified=True):
    return Contact.objects.create(user=customer, email=email, verified_at=timezone.now() if verified else None)


def recipients(outbox):
    return sorted(address for message in outbox for address in message.to)


def to(outbox, address):
    """The one message sent to `address` (fails if there are none or several)."""
    (message,) = [message for message in outbox if address in message.to]
    return message


def parsed(message):
    """The message as bytes on the wire, parsed back: what a mail client sees."""
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


def bodies(message):
    mime = parsed(message)
    return mime.get_body(("plain",)).get_content(), mime.get_body(("html",)).get_content()
