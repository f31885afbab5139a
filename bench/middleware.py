"""What activating the user's language and time zone costs per request, apart from loading the user.

    .venv/bin/python -m bench.middleware          # on the bench database (DATABASE_URL to choose another)

Times LocaleMiddleware and accounts' UserPreferencesMiddleware around a view that returns a ready
response, for a user already loaded, and the two calls the latter makes. Then the same
middleware for a user not loaded yet, as AuthenticationMiddleware leaves it (the session and the
user read from the database when first asked): on a real request that is what happens, because
this middleware is the first code to ask `request.user.is_authenticated`, so a profile charges it
with the session and user lookups that the page would otherwise pay a moment later.
"""

import time
import zoneinfo
from importlib import import_module

from bench.harness import ROOT, session_key  # noqa: F401 - sets Django up: first

# isort: split
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject

from accounts.middleware import UserPreferencesMiddleware
from accounts.models import User

CALLS = 20_000
# Each of these reads the database twice (session, user): fewer calls.
LAZY_CALLS = 2_000
EMAIL = "bench-middleware@example.com"


def per_call(function, request, calls=CALLS):
    function(request)
    started = time.perf_counter()
    for _ in range(calls):
        function(request)
    return (time.perf_counter() - started) / calls * 1e6


def lazy_user_requests(factory):
    """Requests as AuthenticationMiddleware leaves them: the session and the user not read yet."""
    user, _created = User.objects.get_or_create(
        email=EMAIL, defaults={"name": "Bench Middleware", "language": "en", "time_zone": "America/Sao_Paulo"}
    )
    key = session_key(user)
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def request():
        request = factory()
        request.session = store(key)
        request.user = SimpleLazyObject(lambda: get_user(request))
        return request

    return request


def main():
    factory = RequestFactory()

    def new_request():
        return factory.get("/staff/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9,en;q=0.8")

    request = new_request()
    request.user = User(email="agent@example.com", language="en", time_zone="America/Sao_Paulo")
    request.session = SessionBase()
    response = HttpResponse()
    zone = zoneinfo.ZoneInfo("America/Sao_Paulo")
    preferences = UserPreferencesMiddleware(lambda request: response)
    lazy = lazy_user_requests(new_request)
    rows = [
        ("LocaleMiddleware", per_call(LocaleMiddleware(lambda request: response), request)),
        ("UserPreferencesMiddleware", per_call(preferences, request)),
        ("  translation.activate", per_call(lambda request: translation.activate("en"), request)),
        ("  timezone.activate", per_call(lambda request: timezone.activate(zone), request)),
        ("  the same, user not loaded", per_call(lambda _request: preferences(lazy()), None, LAZY_CALLS)),
        ("  loading the user alone", per_call(lambda _request: lazy().user.is_authenticated, None, LAZY_CALLS)),
    ]
    for name, microseconds in rows:
        print(f"{name:30} {microseconds:7.1f} µs per request")


if __name__ == "__main__":
    main()
