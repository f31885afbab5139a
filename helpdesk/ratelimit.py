"""Fixed-window rate limits in the cache (Redis in production), shared by every web node."""

from functools import wraps

from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone

# name → (requests, seconds)
LIMITS = {
    "ticket_open": (10, 3600),
    "ticket_reply": (60, 3600),
    "contact_add": (10, 3600),
    "data_request": (5, 3600),
    "inbound_sender": (30, 3600),
}


def allow(name, key):
    """Count one hit of `name` for `key`; False once the window's limit is reached."""
    limit, period = LIMITS[name]
    window = int(timezone.now().timestamp()) // period
    cache_key = f"ratelimit:{name}:{key}:{window}"
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
