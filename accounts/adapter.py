from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from helpdesk.links import site_domain, site_url
from helpdesk.mail import AUTOMATIC_HEADERS


class AccountAdapter(DefaultAccountAdapter):
    """allauth's flows with our language choice, and every e-mailed link built from SITE_URL."""

    def save_user(self, request, user, form, commit=True):
        # A new account keeps the language the visitor was browsing in.
        user.language = user.language or translation.get_language() or ""
        return super().save_user(request, user, form, commit=commit)

    def get_email_confirmation_url(self, request, emailconfirmation):
        return site_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key):
        return site_url(urlsplit(super().get_reset_password_from_key_url(key)).path)

    def send_mail(self, template_prefix, email, context):
        # Links allauth built from the request (sign-up, reset) are rebased on SITE_URL.
        for name in ("signup_url", "password_reset_url"):
            if context.get(name):
                context[name] = site_url(urlsplit(context[name]).path)
        context["current_site"] = SimpleNamespace(name=settings.HELPDESK_NAME, domain=site_domain())
        return super().send_mail(template_prefix, email, context)

    def render_mail(self, template_prefix, email, context, headers=None):
        # Confirmation and password mail is machine mail like the rest: no auto-responder answers it.
        return super().render_mail(template_prefix, email, context, headers={**AUTOMATIC_HEADERS, **(headers or {})})
