"""Fixed-window rate limits in the "ratelimit" cache: a table in the database, shared by every
process (an MTA pipe run is a new process each time) and counting on while Redis is down."""

from functools import wraps

from django.core.cache import caches
from django.shortcuts import render
from django.utils import timezone

# name → (requests, seconds)
LIMITS = {
    "ticket_open": (10, 3600),
    "ticket_reply": (60, 3600),
    "contact_add": (10, 3600),
    "data_request": (5, 3600),
    "inbound_sender": (30, 3600),
    # Acknowledgements to a guest's address (whose From nobody vouched for): a forged sender
    # cannot turn us into a mail cannon aimed at someone else.
    "guest_notice": (5, 86400),
    "ticket_rating": (20, 3600),
}


def allow(name, key):
    """Count one hit of `name` for `key`; False once the window's limit is reached."""
    limit, period = LIMITS[name]
    window = int(timezone.now().timestamp()) // period
    cache_key = f"ratelimit:{name}:{key}:{window}"
    cache = caches["ratelimit"]
    if cache.add(cache_key, 1, period + 5):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, period + 5)
        return True
    return count <= limit


def limit_posts(name):
    """Rate-limit a view's POSTs per user; over the limit, a 429 page in the user's language."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and not allow(name, request.user.pk or request.META.get("REMOTE_ADDR")):
                return render(request, "429.html", status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
