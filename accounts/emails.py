"""E-mails of the account pages."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from helpdesk.brand import brand
from helpdesk.links import site_url
from helpdesk.mail import AUTOMATIC_HEADERS


def send_contact_confirmation(contact):
    """Ask a new additional contact to confirm the address; nothing else goes to it before that."""
    link = site_url(reverse("account_contact_confirm", args=[contact.make_token()]))
    _send("contact-confirm", contact.email, {"contact": contact, "customer": contact.user, "link": link})


def send_invitation(user, invited_by):
    """Invite a new agent: a link to choose a password, in the agent's language.

    The link is allauth's password-reset key: it expires after PASSWORD_RESET_TIMEOUT and dies once
    the password is set (the key is made from the password hash).
    """
    key = default_token_generator.make_token(user)
    link = site_url(reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key}))
    context = {
        "user": user,
        "invited_by": invited_by,
        "link": link,
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        _send("agent-invitation", user.email, context)


def _send(name, address, context):
    context = {**context, **brand(absolute=True)}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{name}-body.txt", context),
        to=[address],
        headers=AUTOMATIC_HEADERS,
    )
    message.attach_alternative(render_to_string(f"emails/{name}-body.html", context), "text/html")
    message.send()
