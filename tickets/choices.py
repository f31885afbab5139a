"""The departments and services every staff page lists in its menus, cached.

They change in the admin a few times a year but are read by every queue and workspace page;
from the cache they cost no query. Any save or delete of either drops the cached copy in all
processes (the receivers are connected in TicketsConfig.ready). The lists only label the
menus: what is posted back is always checked against the database.
"""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from departments.models import Department, Service

CACHE_KEY = "tickets:staff-choices"
# A backstop for changes made without signals (raw SQL, another database restored).
CACHE_SECONDS = 3600


def departments():
    """[(pk, name, active)] in the admin's order."""
    return _lists()["departments"]


def services():
    """[(pk, name, active)] in the admin's order."""
    return _lists()["services"]


def _lists():
    lists = cache.get(CACHE_KEY)
    if lists is None:
        lists = {
            "departments": list(Department.objects.values_list("pk", "name", "active")),
            "services": list(Service.objects.values_list("pk", "name", "active")),
        }
        cache.set(CACHE_KEY, lists, CACHE_SECONDS)
    return lists


def forget(**kwargs):
    cache.delete(CACHE_KEY)


def connect_signals():
    for model in (Department, Service):
        for signal in (post_save, post_delete):
            signal.connect(forget, sender=model, dispatch_uid=f"tickets.choices.{model.__name__}.{signal}")
