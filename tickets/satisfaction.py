"""Asking for a rating: the signed links of the closing e-mail and the ticket page, and the staff's
views of the answers (the queue's rating filter, the CSV column, the dashboard's section).

A link carries a token signed with the site's secret that names the ticket, its customer and the
close it asks about, and expires after TOKEN_MAX_AGE. It is the only way to rate a guest ticket
(its requester has no account), and works without logging in for everyone: the e-mail is the
customer's. A token names one ticket: on another ticket's address it is a 404.
"""

from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Service
from helpdesk.links import site_url
from tickets.enums import BAD_POINTS, GOOD_POINTS, SCALE_SCORES
from tickets.models import Measure, NotificationKind, Rating, ResponseTimeCount, Score, Ticket, TicketEvent
from tickets.models.rollup import local_day

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


# The dashboard's section (tickets.reports.SECTIONS): computed in beat's refresh for a set of
# departments and period, shown in the reader's language.


@dataclass
class Figures:
    """Ratings of one department, agent, service or week: how many, how many satisfied and dissatisfied.

    `key` names what they count (a department, agent or service id, or a week's Monday); `name`
    is filled in for the reader."""

    key: object = None
    rated: int = 0
    good: int = 0
    bad: int = 0
    name: str = ""

    @property
    def satisfied(self):
        """The share of satisfied answers (CSAT), in percent; None without answers."""
        return round(100 * self.good / self.rated) if self.rated else None


@dataclass
class Report:
    """The section as the template shows it."""

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
_GROUPS = {"by_department": "department_id", "by_agent": "agent_id", "by_service": "service_id"}


def dashboard_figures(period):
    """Satisfaction over the closes of the period in its departments (a tickets.reports.Period).

    A rating counts in the period of the close it answers, and for the department, agent and
    service the ticket had at that close. Weeks are the installation's local weeks, from Monday,
    like the period's days. The answer rate compares the ratings with the tickets closed in the
    period in the departments that ask (merged duplicates and tickets closed on an account's
    erasure are not asked).
    """
    ratings = Rating.objects.filter(
        department_id__in=period.department_ids, closed_at__gte=period.since, closed_at__lte=period.now
    )
    grouped = {
        name: [Figures(key=row.pop(column), **row) for row in ratings.values(column).annotate(**_COUNTS).order_by()]
        for name, column in _GROUPS.items()
    }
    weeks = {
        local_day(row["week"]): Figures(rated=row["rated"], good=row["good"], bad=row["bad"])
        for row in ratings.annotate(week=TruncWeek("closed_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .values("week")
        .annotate(**_COUNTS)
        .order_by()
    }
    monday = period.first - timedelta(days=period.first.weekday())
    weekly = []
    while monday <= period.last:
        weekly.append(replace(weeks.get(monday, Figures()), key=monday))
        monday += timedelta(days=7)
    return {
        **grouped,
        "totals": Figures(**ratings.aggregate(**_COUNTS)),
        "closes": _closes(period),
        "weekly": weekly,
        "agents": dict(get_user_model().objects.filter(pk__in=ratings.values("agent_id")).values_list("pk", "name")),
        "services": dict(Service.objects.filter(pk__in=ratings.values("service_id")).values_list("pk", "name")),
        "recent_bad": [
            {
                "reference": rating.ticket.display_reference,
                "url": rating.ticket.get_staff_url(),
                "subject": rating.ticket.subject,
                "score": rating.score,
                "department_id": rating.department_id,
                "comment": rating.comment,
            }
            for rating in ratings.bad().select_related("ticket").order_by("-closed_at")[:RECENT_BAD]
        ],
    }


def _closes(period):
    """The tickets closed in the period in its departments that ask, merged duplicates and the
    tickets an erasure closed left out.

    Read from the running counts (tickets.models.rollup): the resolutions they hold are exactly
    these tickets, each once, on the local day of its latest close (Ticket.closed_at, which a
    reopening clears) and in its department now, as a count of the tickets by closed_at would
    find them (neither kind counts as a resolution there).
    """
    asking = Department.objects.filter(pk__in=period.department_ids, satisfaction_survey=True).values("pk")
    closes = ResponseTimeCount.objects.filter(
        department_id__in=asking, measure=Measure.RESOLUTION, day__gte=period.first, day__lte=period.last
    ).aggregate(n=Sum("count"))
    return closes["n"] or 0


def dashboard_section(figures, report):
    """The section's figures with the names of departments, agents and services in the reader's language."""
    departments = {department.pk: department.name for department in report.departments}
    names = {
        "by_department": departments,
        "by_agent": {None: _("Nobody assigned"), **figures["agents"]},
        "by_service": {None: _("No service"), **figures["services"]},
    }

    def named(rows, names):
        return sorted(
            (replace(row, name=str(names.get(row.key, names.get(None, "")))) for row in rows),
            key=lambda row: (-row.rated, row.name),
        )

    return Report(
        totals=figures["totals"],
        closes=figures["closes"],
        weekly=figures["weekly"],
        recent_bad=[
            {**rating, "score": SCORE_LABELS[rating["score"]], "department": departments.get(rating["department_id"])}
            for rating in figures["recent_bad"]
        ],
        **{group: named(figures[group], names[group]) for group in _GROUPS},
    )
