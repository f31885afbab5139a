"""What the pages of recurring problems compute: the tickets most like one ticket, the bursts of
new tickets the periodic task looks for, and the dashboard's problem figures (kept here, apart
from tickets.reports, so they can move with the dashboard's other figures)."""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from departments.models import Department
from tickets import notify
from tickets.models import ACTIVE_PROBLEM, Burst, BurstThreshold, Message, Problem, Ticket, TicketSearch
from tickets.reports import STOPWORDS, format_duration, scope

SIMILAR_DAYS = 7
SIMILAR_LIMIT = 5
# The words of a subject and first message that make the search: enough to find the same fault
# told in other words, few enough that the query stays cheap.
SIMILAR_WORDS = 12
# The latest candidates only are compared: ranking costs per candidate, and a busy department
# opens thousands of tickets a week, while the tickets of one fault arrive close together.
SIMILAR_CANDIDATES = 200
MIN_WORD_LENGTH = 3
# What the workspace's card shows of each similar ticket.
SIMILAR_RELATED = ("problem",)
DASHBOARD_PROBLEMS = 10


def words(text, limit=SIMILAR_WORDS):
    """The distinctive words of `text` in order of appearance: letters and digits, stop words left out."""
    found = []
    for word in re.findall(r"[^\W_]+", text.lower()):
        if len(word) >= MIN_WORD_LENGTH and word not in STOPWORDS and word not in found:
            found.append(word)
            if len(found) == limit:
                break
    return found


def _first_body(ticket):
    return (
        Message.objects.filter(ticket=ticket, internal=False)
        .order_by("created_at", "pk")
        .values_list("body", flat=True)
        .first()
        or ""
    )


def similar_tickets(ticket, user, now=None, limit=SIMILAR_LIMIT):
    """The open tickets most like `ticket` among those `user` works: same department or service,
    opened in the last SIMILAR_DAYS days, ranked by the words of its subject and first message
    (on PostgreSQL, against each candidate's search document: its subject and messages). Each
    comes with its `problem` loaded."""
    now = now or timezone.now()
    wanted = words(f"{ticket.subject} {_first_body(ticket)[:2000]}")
    if not wanted:
        return []
    recent = (
        Ticket.objects.staff_visible_to(user)
        .open()
        .filter(created_at__gte=now - timedelta(days=SIMILAR_DAYS), merged_into__isnull=True)
        .exclude(pk=ticket.pk)
        .order_by("-created_at")
    )
    if connection.vendor == "postgresql":
        # The latest open tickets of the department, and of the service, each walked down its own
        # index (department or service, then creation time).
        candidates = recent.filter(department_id=ticket.department_id).values("pk")[:SIMILAR_CANDIDATES]
        if ticket.service_id:
            same_service = recent.filter(service_id=ticket.service_id).values("pk")[:SIMILAR_CANDIDATES]
            candidates = candidates.union(same_service)
        return _ranked_by_document(candidates, wanted, limit)
    near = Q(department_id=ticket.department_id)
    if ticket.service_id:
        near |= Q(service_id=ticket.service_id)
    candidates = recent.filter(near)[:SIMILAR_CANDIDATES]
    ids = _ranked_in_python(candidates, set(wanted), limit)
    found = Ticket.objects.filter(pk__in=ids).select_related(*SIMILAR_RELATED)
    order = {pk: position for position, pk in enumerate(ids)}
    return sorted(found, key=lambda candidate: order[candidate.pk])


def _ranked_by_document(candidates, wanted, limit):
    """PostgreSQL: the candidates' search documents (tickets.models.search) matching any of the
    words, by full-text rank. The words are letters and digits only, safe in a raw tsquery."""
    query = SearchQuery(" | ".join(wanted), config="simple", search_type="raw")
    hits = (
        TicketSearch.objects.filter(ticket__in=candidates, document=query)
        .annotate(rank=SearchRank(F("document"), query))
        .select_related(*(f"ticket__{name}" for name in SIMILAR_RELATED))
        .defer("document")
        .order_by("-rank", "-ticket_id")[:limit]
    )
    return [hit.ticket for hit in hits]


def _ranked_in_python(candidates, wanted, limit):
    """Other databases: the candidates' subject and first message, by words shared."""
    rows = list(candidates.values_list("pk", "subject"))
    first = {}
    for ticket_id, body in (
        Message.objects.filter(ticket_id__in=[pk for pk, _subject in rows], internal=False)
        .order_by("created_at", "pk")
        .values_list("ticket_id", "body")
    ):
        first.setdefault(ticket_id, body)
    scored = []
    for pk, subject in rows:
        shared = len(wanted & set(words(f"{subject} {first.get(pk, '')[:2000]}", limit=None)))
        if shared:
            scored.append((-shared, -pk))
    return [-negative_pk for _score, negative_pk in sorted(scored)[:limit]]


@dataclass
class WorkspacePanel:
    """The workspace's problem card: the ticket's problem, or the problems it could join. The similar
    tickets come after the page, from their own URL (staff:ticket_similar): ranking them costs more
    than the rest of the workspace's queries together, and the agent reads the thread first."""

    problem: Problem | None
    choices: list


def workspace_panel(ticket, user):
    problem = ticket.problem
    choices = []
    if problem is None:
        choices = list(
            Problem.objects.staff_visible_to(user)
            .active()
            .filter(department_id=ticket.department_id)
            .only("pk", "title")
            .order_by("-created_at")[:50]
        )
    return WorkspacePanel(problem=problem, choices=choices)


# Bursts


def notice_bursts(now=None):
    """Record each service's burst of new tickets in each department, and tell the department's
    supervisors once per burst. Returns the bursts noticed this run (new ones only)."""
    now = now or timezone.now()
    noticed = []
    for department in Department.objects.active():
        threshold = BurstThreshold.for_department(department)
        if not threshold.tickets:
            continue
        since = now - threshold.window
        recent = Ticket.objects.filter(
            department=department,
            service__isnull=False,
            created_at__gte=since,
            created_at__lte=now,
            problem__isnull=True,
            merged_into__isnull=True,
        )
        busy = recent.values("service_id").annotate(count=Count("pk")).filter(count__gte=threshold.tickets)
        for row in busy:
            burst = _record_burst(department, row["service_id"], recent.filter(service_id=row["service_id"]), since)
            if burst is not None:
                noticed.append(burst)
    return noticed


def _record_burst(department, service_id, tickets, since):
    """Add `tickets` to the burst going on for the service, or start one and tell the supervisors.

    The department's row is locked first, so two beat runs at once record one burst."""
    with transaction.atomic():
        Department.objects.select_for_update().filter(pk=department.pk).first()
        tickets = list(tickets.order_by("created_at"))
        ongoing = Burst.objects.filter(department=department, service_id=service_id, last_ticket_at__gte=since).first()
        if ongoing is not None:
            ongoing.add(tickets)
            return None
        burst = Burst.objects.create(
            department=department, service_id=service_id, last_ticket_at=tickets[-1].created_at
        )
        burst.tickets.add(*tickets)
        notify.burst_noticed(burst)
        return burst


# Dashboard


@dataclass
class ProblemRow:
    problem: Problem
    tickets: int
    time_open: str


def dashboard_problems(user, days, now=None):
    """The period's problems of the departments `user` supervises, the most tickets first: those
    opened in the period, and those still being worked on."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    problems = (
        Problem.objects.filter(department__in=[desk.pk for desk in scope(user)])
        .filter(Q(created_at__gte=since) | Q(status__in=ACTIVE_PROBLEM) | Q(solved_at__gte=since))
        .with_ticket_counts()
        .select_related("service", "department")
        .order_by("-ticket_count", "-created_at")[:DASHBOARD_PROBLEMS]
    )
    return [ProblemRow(problem, problem.ticket_count, format_duration(problem.time_open(now))) for problem in problems]
