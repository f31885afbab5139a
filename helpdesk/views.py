from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from helpdesk.celery import app as celery_app


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    cache.set("healthz", "ok", 5)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _broker():
    if celery_app.conf.task_always_eager:
        return
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@never_cache
def healthz(request):
    """Database, cache and broker each answer, or the response is 503 naming the one that did not."""
    checks = {}
    for name, check in (("database", _database), ("cache", _cache), ("broker", _broker)):
        try:
            check()
            checks[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure is reported, none is raised
            checks[name] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
