"""The product's name and logo (HELPDESK_NAME, HELPDESK_LOGO) for the pages, the e-mails and the admin."""

from django.conf import settings
from django.templatetags.static import static

from helpdesk.links import site_url


def logo_url(absolute=False):
    """HELPDESK_LOGO is a full URL or a path among the static files; e-mails need it absolute."""
    logo = settings.HELPDESK_LOGO
    if not logo:
        return ""
    if "://" in logo:
        return logo
    return site_url(static(logo)) if absolute else static(logo)


def brand(absolute=False):
    return {"HELPDESK_NAME": settings.HELPDESK_NAME, "HELPDESK_LOGO_URL": logo_url(absolute)}
