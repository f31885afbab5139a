"""The departments, services, agents and canned replies every staff page lists in its menus, cached.

They change in the admin now and then but are read by every queue and workspace page; from the
cache they cost no query. Any save or delete of one of them (or of a membership) drops the
cached copy (the receivers are connected in TicketsConfig.ready). The lists only label the
menus: what is posted back is always checked against the database.
"""

import time

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from departments.models import Department, Membership, Service
from tickets.models import CannedReply

# Named after what it holds: a deployment that changes the lists starts from an empty key.
CACHE_KEY = "tickets:staff-choices:departments-services-agents-canned"
# A backstop for changes made without signals (raw SQL, another database restored).
CACHE_SECONDS = 3600
# Each process also keeps the lists this long, so a page asks the cache once at most; another
# process's change shows here within these seconds (this process's own, at once).
LOCAL_SECONDS = 5

_local = {"until": 0.0, "lists": None}


def departments():
    """[(pk, name, active)] in the admin's order."""
    return _lists()["departments"]


def services():
    """[(pk, name, active)] in the admin's order."""
    return _lists()["services"]


def agents(department_ids=None):
    """[(pk, full name)] of the active members of the given departments (of any department when
    None), by name, for the assignment menus. Superusers may be assigned too but are not listed:
    they have "Assign to me". Whoever is posted is checked with Ticket.can_be_assigned_to."""
    wanted = None if department_ids is None else set(department_ids)
    return [(pk, name) for pk, name, member_of in _lists()["agents"] if wanted is None or wanted & member_of]


def canned_replies(department_id):
    """The active canned replies for a department's tickets: its own and the global ones, as
    CannedReply instances in the admin's order."""
    return [reply for reply in _lists()["canned"] if reply.department_id in (None, department_id)]


def _lists():
    now = time.monotonic()
    if _local["lists"] is not None and now < _local["until"]:
        return _local["lists"]
    lists = cache.get(CACHE_KEY)
    if lists is None:
        lists = _load()
        cache.set(CACHE_KEY, lists, CACHE_SECONDS)
    _local.update(until=now + LOCAL_SECONDS, lists=lists)
    return lists


def _load():
    member_of = {}
    for user_id, department_id in Membership.objects.values_list("user_id", "department_id"):
        member_of.setdefault(user_id, set()).add(department_id)
    users = get_user_model().objects.filter(pk__in=member_of, is_active=True).only("name", "email")
    return {
        "departments": list(Department.objects.values_list("pk", "name", "active")),
        "services": list(Service.objects.values_list("pk", "name", "active")),
        "canned": list(CannedReply.objects.filter(active=True)),
        "agents": [
            (user.pk, user.get_full_name(), frozenset(member_of[user.pk])) for user in users.order_by("name", "email")
        ],
    }


def forget(**kwargs):
    # A login only stamps last_login: nothing a menu shows.
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return
    _local["lists"] = None
    cache.delete(CACHE_KEY)


def connect_signals():
    for model in (Department, Service, Membership, CannedReply, get_user_model()):
        for signal in (post_save, post_delete):
            signal.connect(forget, sender=model, dispatch_uid=f"tickets.choices.{model.__name__}.{signal}")
