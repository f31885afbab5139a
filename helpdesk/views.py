import logging
import sys

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as default_server_error

from helpdesk.celery import app as celery_app

logger = logging.getLogger(__name__)


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    ping = getattr(cache, "ping", None)
    if ping is not None:
        # Redis itself, not the fallback that answers for it during an outage.
        ping()
        return
    cache.set("healthz", "ok", 5)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _broker():
    if celery_app.conf.task_always_eager:
        return
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)


def _check(check):
    try:
        check()
    except Exception as error:  # noqa: BLE001 - any failure is reported, none is raised
        return f"error: {error.__class__.__name__}"
    return "ok"


@never_cache
def healthz(request):
    """Liveness, for the load balancer: the process answers and reaches the database.

    Redis is left out on purpose: it is shared by every node, so its outage would take them all
    out of rotation at once, while the site works without it (see `status`).
    """
    database = _check(_database)
    healthy = database == "ok"
    return JsonResponse({"status": "ok" if healthy else "error", "database": database}, status=200 if healthy else 503)


@never_cache
def status(request):
    """Every component, for monitoring: Redis (cache, broker) down is "degraded" and still 200."""
    checks = {name: _check(check) for name, check in (("database", _database), ("cache", _cache), ("broker", _broker))}
    if checks["database"] != "ok":
        overall, code = "error", 503
    elif all(value == "ok" for value in checks.values()):
        overall, code = "ok", 200
    else:
        overall, code = "degraded", 200
    return JsonResponse({"status": overall, **checks}, status=code)


def server_error(request):
    """The 500 handler; a database that cannot be reached is a 503 "back soon" page instead.

    Rendered without anything that would ask the database (no user, no session): the language
    is the browser's or the switcher's cookie.
    """
    error = _current_exception()
    if not isinstance(error, (OperationalError, InterfaceError)):
        return default_server_error(request)
    logger.warning("Database unreachable: %s", error)
    with translation.override(translation.get_language_from_request(request)):
        page = loader.render_to_string("503.html")
    return HttpResponse(page, status=503, headers={"Retry-After": "30"})


def _current_exception():
    """The database error being handled, also when it was raised as the cause of another."""
    error = sys.exc_info()[1]
    while error is not None and not isinstance(error, DatabaseError):
        error = error.__cause__ or error.__context__
    return error
