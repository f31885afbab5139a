"""E-mails of the account pages."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from helpdesk.links import site_url
from helpdesk.mail import AUTOMATIC_HEADERS


def send_contact_confirmation(contact):
    """Ask a new additional contact to confirm the address; nothing else goes to it before that."""
    context = {
        "contact": contact,
        "customer": contact.user,
        "link": site_url(reverse("account_contact_confirm", args=[contact.make_token()])),
        "HELPDESK_NAME": settings.HELPDESK_NAME,
    }
    subject = " ".join(render_to_string("emails/contact-confirm-subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/contact-confirm-body.txt", context),
        to=[contact.email],
        headers=AUTOMATIC_HEADERS,
    )
    message.attach_alternative(render_to_string("emails/contact-confirm-body.html", context), "text/html")
    message.send()
