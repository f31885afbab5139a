"""System checks of the mail setup (`manage.py check --deploy` runs them)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from tickets.email.webhooks import open_providers


@register(Tags.security, deploy=True)
def webhooks_have_credentials(app_configs, **kwargs):
    return [
        Error(
            f"The {name} webhook would be open to anyone: it has no credentials, so it is not served (404).",
            hint="Set ANYMAIL_WEBHOOK_SECRET (basic auth in the webhook URL) or the provider's signing key, "
            "or remove the provider from MAIL_WEBHOOK_PROVIDERS.",
            id="tickets.E001",
        )
        for name in open_providers()
    ]


@register(Tags.security, deploy=True)
def inbound_mail_is_authenticated(app_configs, **kwargs):
    if settings.INBOUND_AUTHSERV_IDS or settings.INBOUND_UNAUTHENTICATED == "hold":
        return []
    return [
        Warning(
            "Received mail is judged by its From header alone: no receiving host is trusted to "
            "stamp sender authentication results.",
            hint="Set INBOUND_AUTHSERV_IDS to the authserv-id your MTA's milters stamp (see the README), "
            "or INBOUND_UNAUTHENTICATED=hold if mail reaches us only through a provider's webhook.",
            id="tickets.W001",
        )
    ]
