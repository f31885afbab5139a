"""E-mails of personal data: the export's link and the erasure's confirmation, in the customer's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from helpdesk.links import site_url
from helpdesk.mail import AUTOMATIC_HEADERS


def _send(name, user, context):
    context = {**context, "user": user, "HELPDESK_NAME": settings.HELPDESK_NAME}
    with (
        translation.override(user.language or settings.LANGUAGE_CODE),
        timezone.override(user.time_zone or settings.TIME_ZONE),
    ):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"emails/{name}-body.txt", context),
            to=[user.email],
            headers=AUTOMATIC_HEADERS,
        )
        message.attach_alternative(render_to_string(f"emails/{name}-body.html", context), "text/html")
    message.send()


def send_export_ready(export):
    link = site_url(reverse("privacy:export_download", args=[export.token]))
    _send("data-export-ready", export.user, {"export": export, "link": link})


def send_erasure_confirmation(user, token):
    link = site_url(reverse("privacy:erase_confirm", args=[token]))
    _send("erasure-confirm", user, {"link": link})
