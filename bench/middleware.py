"""What activating the user's language and time zone costs per request, apart from loading the user.

    .venv/bin/python -m bench.middleware

Times LocaleMiddleware and accounts' UserPreferencesMiddleware around a view that returns a ready
response, for a user already loaded, and the two calls the latter makes. On a real request the
user is loaded lazily by whichever code first asks `request.user.is_authenticated`; that is
UserPreferencesMiddleware, so a profile charges it with the session and user lookups that the
view would otherwise pay a moment later.
"""

import time
import zoneinfo

from bench.harness import ROOT  # noqa: F401 - sets Django up: first

# isort: split
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts.middleware import UserPreferencesMiddleware
from accounts.models import User

CALLS = 20_000


def per_call(function, request):
    function(request)
    started = time.perf_counter()
    for _ in range(CALLS):
        function(request)
    return (time.perf_counter() - started) / CALLS * 1e6


def main():
    request = RequestFactory().get("/staff/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9,en;q=0.8")
    request.user = User(email="agent@example.com", language="en", time_zone="America/Sao_Paulo")
    request.session = SessionBase()
    response = HttpResponse()
    zone = zoneinfo.ZoneInfo("America/Sao_Paulo")
    rows = [
        ("LocaleMiddleware", per_call(LocaleMiddleware(lambda request: response), request)),
        ("UserPreferencesMiddleware", per_call(UserPreferencesMiddleware(lambda request: response), request)),
        ("  translation.activate", per_call(lambda request: translation.activate("en"), request)),
        ("  timezone.activate", per_call(lambda request: timezone.activate(zone), request)),
    ]
    for name, microseconds in rows:
        print(f"{name:28} {microseconds:7.1f} µs per request")


if __name__ == "__main__":
    main()
