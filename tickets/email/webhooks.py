"""django-anymail's inbound and tracking webhooks, closed unless their provider's credentials are set.

anymail serves a webhook with no credentials at all (it only warns), and answers 500 where a
provider's signing key is missing. Here a route is served only for a provider listed in
MAIL_WEBHOOK_PROVIDERS whose view has credentials: the shared basic-auth secret
(ANYMAIL_WEBHOOK_SECRET) or the provider's own signature key. Any other request answers 404, and
a post with wrong or missing credentials meets anymail's validation, which answers 400.
"""

import warnings
from functools import wraps

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailError
from anymail.webhooks.base import AnymailBasicAuthMixin
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404


def provider(pattern):
    # "amazon_ses_inbound_webhook", "mandrill_webhook" -> "amazon_ses", "mandrill"
    return pattern.name.removesuffix("_webhook").removesuffix("_inbound").removesuffix("_tracking")


def configured_view(view_class, initkwargs):
    """The anymail view if a post to it must prove who sent it, else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anymail's "insecure webhook" and "unsupported ESP" warnings
        try:
            view = view_class(**initkwargs)
        except (AnymailError, ImproperlyConfigured, ValueError, TypeError):
            return None  # a required key missing or unreadable
    if hasattr(view, "webhook_key") and view.webhook_key is None:
        return None  # Mandrill's and Postal's signatures need their key, whatever else is set
    # anymail turns its insecure-webhook warning off exactly when a signature check is configured.
    return view if view.basic_auth or not view.warn_if_no_basic_auth else None


def _closed_unless_configured(name, callback):
    view_class, initkwargs = callback.view_class, callback.view_initkwargs

    @wraps(callback)
    def view(request, *args, **kwargs):
        configured = configured_view(view_class, initkwargs) if name in settings.MAIL_WEBHOOK_PROVIDERS else None
        if configured is None:
            raise Http404("webhook not configured")
        if configured.basic_auth and request.META.get("HTTP_AUTHORIZATION"):
            # Wrong credentials are refused before anything reads the payload (Amazon SES's own checks
            # would answer 500 to a payload that is not SNS's); missing ones go on to anymail, which
            # answers 400, or 401 for SES, whose SNS sends its credentials only after a 401.
            AnymailBasicAuthMixin.validate_request(configured, request)
        return callback(request, *args, **kwargs)

    return view


def urlpatterns():
    """anymail's routes, each wrapped (settings are read per request, so tests can change them)."""
    patterns = []
    for pattern in anymail_urls.urlpatterns:
        wrapped = _closed_unless_configured(provider(pattern), pattern.callback)
        patterns.append(type(pattern)(pattern.pattern, wrapped, pattern.default_args, pattern.name))
    return patterns


def open_providers():
    """Providers listed in MAIL_WEBHOOK_PROVIDERS whose webhooks have no credentials (so are not served)."""
    names = []
    for pattern in anymail_urls.urlpatterns:
        name = provider(pattern)
        callback = pattern.callback
        if name in settings.MAIL_WEBHOOK_PROVIDERS and name not in names:
            if configured_view(callback.view_class, callback.view_initkwargs) is None:
                names.append(name)
    return names
