"""Absolute links for e-mails, always built from SITE_URL: never from a request's Host header."""

from urllib.parse import urlsplit

from django.conf import settings


def site_url(path):
    return settings.SITE_URL.rstrip("/") + path


def site_domain():
    return urlsplit(settings.SITE_URL).netloc


def site_hostname():
    """SITE_URL's host without a port: the domain of the Message-IDs we write."""
    return urlsplit(settings.SITE_URL).hostname
