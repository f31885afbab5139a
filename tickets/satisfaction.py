"""Asking for a rating: the signed links of the closing e-mail and the ticket page, and the staff's
views of the answers (the queue's rating filter, the CSV column).

A link carries a token signed with the site's secret that names the ticket, its customer and the
close it asks about, and expires after TOKEN_MAX_AGE. It is the only way to rate a guest ticket
(its requester has no account), and works without logging in for everyone: the e-mail is the
customer's. A token names one ticket: on another ticket's address it is a 404.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Service
from helpdesk.links import site_url
from tickets import reports
from tickets.enums import BAD_POINTS, GOOD_POINTS, SCALE_SCORES
from tickets.models import NotificationKind, Rating, Score, Ticket, TicketEvent

SALT = "tickets.satisfaction"
TOKEN_MAX_AGE = timedelta(days=30)
# The dashboard lists this many of the latest bad ratings, to follow up.
RECENT_BAD = 10

# The kinds of e-mail that tell a requester the ticket was closed: they carry the rating links.
CLOSING_KINDS = {NotificationKind.CLOSED, NotificationKind.AUTO_CLOSED, NotificationKind.STAFF_REPLY}


class TokenExpired(Exception):
    """A genuine link, older than TOKEN_MAX_AGE."""


def make_token(ticket, closing):
    return signing.dumps([ticket.pk, ticket.customer_id, closing.pk], salt=SALT, compress=True)


def rating_url(ticket, closing, score=None):
    """The rating page of `closing` (a path), the answer `score` preselected."""
    path = reverse("tickets:rate", args=[ticket.reference, make_token(ticket, closing)])
    return f"{path}?{urlencode({'score': score})}" if score else path


def closing_for_token(reference, token):
    """(ticket, closing event) named by `token` on the address of ticket `reference`.

    A forged or altered token, or one of another ticket or customer, is a 404 (nothing tells which
    tickets exist); a genuine one past its age raises TokenExpired.
    """
    try:
        ticket_pk, customer_pk, closing_pk = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE.total_seconds())
    except signing.SignatureExpired as expired:
        raise TokenExpired from expired
    except (signing.BadSignature, TypeError, ValueError) as bad:
        raise Http404 from bad
    ticket = get_object_or_404(
        Ticket.objects.select_related("department", "customer"), pk=ticket_pk, reference=reference
    )
    if ticket.customer_id != customer_pk:
        raise Http404
    closing = get_object_or_404(TicketEvent, pk=closing_pk, ticket=ticket)
    return ticket, closing


@dataclass
class Choice:
    score: str
    label: str
    url: str = ""
    checked: bool = False


def choices(scale, *, ticket=None, closing=None, checked=""):
    """The answers of `scale`, best first; with links when the ticket and close are given."""
    return [
        Choice(
            score.value,
            score.label,
            site_url(rating_url(ticket, closing, score.value)) if closing is not None else "",
            checked=score.value == checked,
        )
        for score in SCALE_SCORES[scale]
    ]


@dataclass
class Survey:
    """What a page or an e-mail shows to ask for (or show) the rating of one close."""

    ticket: object
    closing: object
    rating: object
    question: str
    choices: list
    form_url: str


def survey_for(ticket):
    """The survey of the ticket's current close, or None when nothing is (or can be) asked."""
    closing = ticket.current_closing()
    if closing is None:
        return None
    rating = Rating.objects.filter(closing=closing).first()
    return Survey(
        ticket=ticket,
        closing=closing,
        rating=rating,
        question=ticket.department.satisfaction_question(),
        choices=choices(ticket.department.satisfaction_scale, checked=rating.score if rating else ""),
        form_url=rating_url(ticket, closing),
    )


def email_survey(notification):
    """The links a closing e-mail carries (rendered in the recipient's language), or None.

    Only e-mail to the requesters that closes the ticket asks, only while that close is the
    ticket's latest, and only until the customer has answered.
    """
    ticket = notification.ticket
    if ticket is None or notification.kind not in CLOSING_KINDS:
        return None
    closing = ticket.current_closing()
    if closing is None or Rating.objects.filter(closing=closing).exists():
        return None
    message = notification.thread_message
    if message is not None and _replied_after(message, closing):
        # A reply that did not close the ticket (a later one did): its e-mail does not ask.
        return None
    return Survey(
        ticket=ticket,
        closing=closing,
        rating=None,
        question=ticket.department.satisfaction_question(),
        choices=choices(ticket.department.satisfaction_scale, ticket=ticket, closing=closing),
        form_url=site_url(rating_url(ticket, closing)),
    )


def _replied_after(message, closing):
    """Whether the thread went on after `message` before `closing`, or `message` came after it."""
    if message.created_at > closing.created_at:
        return True
    return (
        message.ticket.messages.filter(internal=False, created_at__gt=message.created_at)
        .filter(created_at__lte=closing.created_at)
        .exists()
    )


# The queue's rating filter.

RATING_FILTERS = [
    ("", _("Any")),
    ("good", _("Satisfied")),
    ("bad", _("Dissatisfied")),
    ("rated", _("Rated")),
]


def filter_tickets(tickets, rating):
    """`tickets` narrowed to those with a rating of the kind `rating` names (a value of RATING_FILTERS)."""
    ratings = Rating.objects.filter(ticket=OuterRef("pk"))
    if rating == "good":
        ratings = ratings.good()
    elif rating == "bad":
        ratings = ratings.bad()
    elif rating != "rated":
        return tickets
    return tickets.filter(Exists(ratings))


# The CSV export's column.

SCORE_LABELS = dict(Score.choices)


def with_latest_score(tickets):
    """`tickets` annotated with `latest_score`, the score of their latest rating (None if unrated)."""
    latest = Rating.objects.filter(ticket=OuterRef("pk")).order_by("-closed_at").values("score")[:1]
    return tickets.annotate(latest_score=Subquery(latest))


def score_label(ticket):
    score = getattr(ticket, "latest_score", None)
    return str(SCORE_LABELS[score]) if score else ""


# The dashboard's figures.


@dataclass
class Figures:
    """Ratings of one department, agent, service or week: how many, how many satisfied and dissatisfied."""

    name: str = ""
    rated: int = 0
    good: int = 0
    bad: int = 0
    key: object = None

    @property
    def satisfied(self):
        """The share of satisfied answers (CSAT), in percent; None without answers."""
        return round(100 * self.good / self.rated) if self.rated else None


@dataclass
class Report:
    days: int
    totals: Figures
    closes: int
    by_department: list
    by_agent: list
    by_service: list
    weekly: list
    recent_bad: list

    @property
    def answer_rate(self):
        """Ratings given for the closes of the period, in percent of those closes."""
        return round(100 * self.totals.rated / self.closes) if self.closes else None


_COUNTS = {
    "rated": Count("pk"),
    "good": Count("pk", filter=Q(points__gte=GOOD_POINTS)),
    "bad": Count("pk", filter=Q(points__lte=BAD_POINTS)),
}


def report(user, days, now=None):
    """Satisfaction over the closes of the last `days` days in the departments `user` supervises.

    A rating counts in the period of the close it answers, and for the department, agent and
    service the ticket had at that close. The answer rate compares the ratings with the tickets
    closed in the period in the departments that ask (merged duplicates and tickets closed on an
    account's erasure are not asked). Like the dashboard's other
    period figures, computed once per department set, period and time zone for a few minutes.
    """
    ids = [department.pk for department in reports.scope(user)]
    if now is not None:
        return _report(_departments(ids), days, now)
    key = f"dashboard:satisfaction:{','.join(map(str, ids))}:{days}:{timezone.get_current_timezone_name()}"
    figures = cache.get(key)
    if figures is None:
        figures = _report(_departments(ids), days, timezone.now())
        cache.set(key, figures, settings.DASHBOARD_REFRESH_SECONDS)
    return figures


def _departments(ids):
    return list(Department.objects.filter(pk__in=ids))


def _report(departments, days, now):
    since = now - timedelta(days=days)
    ratings = Rating.objects.filter(department__in=departments, closed_at__gte=since, closed_at__lte=now)
    # The tickets closed in the period (by their latest close: the ticket's closed_at, which an index
    # answers, where counting the close events meant joining every event of the period to its ticket).
    closes = Ticket.objects.filter(
        department__in=[department for department in departments if department.satisfaction_survey],
        closed_at__gte=since,
        closed_at__lte=now,
        merged_into__isnull=True,
        closed_on_erasure=False,
    ).count()
    names = {
        "department_id": {None: "", **{department.pk: department.name for department in departments}},
        "agent_id": {
            None: _("Nobody assigned"),
            **dict(
                get_user_model()
                .objects.filter(pk__in=ratings.exclude(agent=None).values("agent_id"))
                .values_list("pk", "name")
            ),
        },
        "service_id": {None: _("No service"), **dict(Service.objects.values_list("pk", "name"))},
    }
    grouped = {}
    for column, labels in names.items():
        rows = ratings.values(column).annotate(**_COUNTS).order_by()
        grouped[column] = sorted(
            (Figures(name=labels.get(row.pop(column), labels[None]), **row) for row in rows),
            key=lambda figures: (-figures.rated, figures.name),
        )
    weeks = {
        timezone.localdate(row["week"]): Figures(rated=row["rated"], good=row["good"], bad=row["bad"])
        for row in ratings.annotate(week=TruncWeek("closed_at", tzinfo=timezone.get_current_timezone()))
        .values("week")
        .annotate(**_COUNTS)
        .order_by()
    }
    first = timezone.localdate(since)
    first -= timedelta(days=first.weekday())
    weekly = []
    while first <= timezone.localdate(now):
        weekly.append(weeks.get(first) or Figures())
        weekly[-1].key = first
        first += timedelta(days=7)
    return Report(
        days=days,
        totals=Figures(**ratings.aggregate(**_COUNTS)),
        closes=closes,
        by_department=grouped["department_id"],
        by_agent=grouped["agent_id"],
        by_service=grouped["service_id"],
        weekly=weekly,
        recent_bad=list(ratings.bad().select_related("ticket", "department").order_by("-closed_at")[:RECENT_BAD]),
    )
