"""The staff queue's filtering, sorting, counting and paging, independent of any view.

`QueueFilter(user, request.GET)` reads only allowlisted keys, normalises them (anything
unknown or malformed falls back to the default) and builds the queryset on top of
`Ticket.objects.staff_visible_to(user)`; the queue page, its links and the CSV export all
use it. Everything here is designed for a million tickets: counts stop at a cap, pages are
found with a keyset (the sort key of the last row shown), never with OFFSET or COUNT(*).
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from tickets import satisfaction
from tickets.models import PRIORITY_RANK, Message, Priority, Status, Ticket, TicketSearch
from tickets.models.rules import ACTIVE, STATUS_FILTERS, StaffAccess, statuses_of_filter

PAGE_SIZE = 25
COUNT_CAP = 1000
MAX_SEARCH_LENGTH = 200
# Tickets estimated to match a search from which on it counts as common, and how many matches of
# a rare one are fetched at most (see _document_condition).
COMMON_WORD = 20_000
FEW_MATCHES = 5_000
# What a queue row shows and sorts by; the rest of a ticket stays in the database.
ROW_FIELDS = (
    "reference", "customer_id", "guest_email", "department_id", "service_id", "priority", "status",
    "subject", "assignee_id", "created_at", "updated_at", "last_speaker", "due_at", "escalated_at",
)  # fmt: skip

# Stands for a status while the count query is compiled (QueueFilter.status_tabs).
_ANY_STATUS = "tickets.queue:any-status"


MINE = "mine"
UNASSIGNED = "unassigned"
ASSIGNEE_FILTERS = [("", _("Anyone")), (MINE, _("Mine")), (UNASSIGNED, _("Unassigned"))]


@dataclass(frozen=True)
class Sort:
    """An ordering as (attribute, descending) keys ending with the primary key, so it is total."""

    label: str
    keys: tuple
    # The one key that may be NULL; NULLs come last (in the forward direction).
    nullable: str = ""


SORTS = {
    "updated": Sort(_("Last update"), (("updated_at", True), ("pk", True))),
    "created": Sort(_("Created"), (("created_at", True), ("pk", True))),
    "priority": Sort(_("Priority"), (("priority_rank", True), ("updated_at", True), ("pk", True))),
    "due": Sort(_("Due time"), (("due_at", False), ("pk", False)), nullable="due_at"),
}
DEFAULT_SORT = "updated"

DEFAULTS = {
    "q": "",
    "department": "",
    "status": ACTIVE,
    "priority": "",
    "assignee": "",
    "service": "",
    "overdue": "",
    "escalated": "",
    "rating": "",
    "sort": DEFAULT_SORT,
}


def search_condition(text, vendor):
    """The Q for a search box entry: an exact reference for digits (with or without '#'),
    otherwise tickets having every word in their subject or messages (notes included), or part
    of the customer's e-mail address when the entry contains '@'."""
    text = text.strip()
    digits = text.removeprefix("#").strip()
    if digits.isdigit():
        return Q(reference=int(digits))
    if vendor == "postgresql":
        condition = _document_condition(text)
    else:
        words = text.replace('"', " ").split()
        if not words:
            return Q(pk__in=[])
        condition = Q()
        for word in words:
            in_messages = Message.objects.filter(body__icontains=word).values("ticket_id")
            condition &= Q(subject__icontains=word) | Q(pk__in=in_messages)
    if "@" in text:
        users = get_user_model().objects.filter(email__icontains=text).values("pk")
        condition |= Q(customer_id__in=users)
    return condition


def _document_condition(text):
    """Full-text search on each ticket's document (TicketSearch), by the better of two plans.

    A common word is tested on each ticket as the queue walks its order, and the walk stops at
    a page. A rare one would make that walk cross every ticket, so its few tickets are fetched
    through the GIN index first. Which is which, PostgreSQL's own estimate says (EXPLAIN
    reads the column's word statistics and scans nothing); PostgreSQL left alone plans a walk
    for rare words too, as it guesses they are spread evenly.
    """
    from django.contrib.postgres.search import SearchQuery

    documents = TicketSearch.objects.filter(document=SearchQuery(text, config="simple", search_type="websearch"))
    estimate = json.loads(documents.values("pk").explain(format="json"))[0]["Plan"]["Plan Rows"]
    if estimate < COMMON_WORD:
        found = list(documents.values_list("pk", flat=True)[: FEW_MATCHES + 1])
        if len(found) <= FEW_MATCHES:
            return Q(pk__in=found)
    return Q(Exists(documents.filter(pk=OuterRef("pk"))))


class QueueFilter:
    """The queue's state from a query string, and the tickets it selects for `user`."""

    def __init__(self, user, params, *, now=None):
        self.user = user
        self.now = now or timezone.now()
        self.state = self._normalise(params)
        self.sort = SORTS[self.state["sort"]]

    # Reading the query string

    def _normalise(self, params):
        state = dict(DEFAULTS)
        get = params.get
        q = " ".join((get("q") or "").split())[:MAX_SEARCH_LENGTH]
        state["q"] = q
        department = get("department") or ""
        if department.isdigit() and StaffAccess(self.user).allows(int(department)):
            state["department"] = department
        if get("status") in dict(STATUS_FILTERS):
            state["status"] = get("status")
        if get("priority") in Priority.values:
            state["priority"] = get("priority")
        if get("assignee") in (MINE, UNASSIGNED):
            state["assignee"] = get("assignee")
        service = get("service") or ""
        if service.isdigit():
            state["service"] = service
        for flag in ("overdue", "escalated"):
            if get(flag) == "1":
                state[flag] = "1"
        if get("rating") in dict(satisfaction.RATING_FILTERS):
            state["rating"] = get("rating")
        if get("sort") in SORTS:
            state["sort"] = get("sort")
        return state

    def querystring(self, **changes):
        """The query string of this state with `changes` applied, defaults left out (for links)."""
        state = {**self.state, **{key: str(value) for key, value in changes.items() if key in DEFAULTS}}
        query = QueryDict(mutable=True)
        for key, value in state.items():
            if value != DEFAULTS[key]:
                query[key] = value
        return query.urlencode()

    @property
    def sort_links(self):
        """The query string of each sort, for the column headers."""
        return {key: self.querystring(sort=key) for key in SORTS}

    @property
    def is_filtered(self):
        return any(self.state[key] != DEFAULTS[key] for key in DEFAULTS if key != "sort")

    # The tickets

    def _filtered(self, with_status=True):
        state = self.state
        qs = Ticket.objects.staff_visible_to(self.user)
        if with_status:
            qs = qs.with_status_filter(state["status"])
        if state["department"]:
            qs = qs.filter(department_id=int(state["department"]))
        if state["priority"]:
            qs = qs.filter(priority=state["priority"])
        if state["assignee"] == MINE:
            qs = qs.filter(assignee=self.user)
        elif state["assignee"] == UNASSIGNED:
            qs = qs.filter(assignee__isnull=True)
        if state["service"]:
            qs = qs.filter(service_id=int(state["service"]))
        if state["overdue"]:
            qs = qs.overdue(self.now)
        if state["escalated"]:
            qs = qs.escalated()
        if state["rating"]:
            qs = satisfaction.filter_tickets(qs, state["rating"])
        if state["q"]:
            qs = qs.filter(search_condition(state["q"], connections[qs.db].vendor))
        return qs

    @property
    def queryset(self):
        """Every ticket of the current filter, in the chosen order, with what a row shows."""
        qs = self._filtered().select_related("department", "service", "customer", "assignee")
        if self.state["sort"] == "priority":
            qs = qs.annotate(
                priority_rank=Case(
                    *(When(priority=value, then=Value(rank)) for value, rank in PRIORITY_RANK.items()),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
        return qs.order_by(*self._ordering(reverse=False))

    def _ordering(self, reverse):
        ordering = []
        for name, descending in self.sort.keys:
            if reverse:
                descending = not descending
            expression = F(name)
            if name == self.sort.nullable:
                # NULLs last going forward, so first when walking backwards.
                ordering.append(expression.desc(nulls_first=True) if descending else expression.asc(nulls_last=True))
            else:
                ordering.append(expression.desc() if descending else expression.asc())
        return ordering

    # Counting

    def status_tabs(self, cap=None):
        """The status choices with their counts under the other filters, for the tabs above the queue.

        Each status is counted up to `cap` + 1 rows (all in ONE query), so a million closed
        tickets cost no more than a thousand; `capped` means "more than shown". A search is not
        counted (count None): six more searches would cost more than the page itself.
        """
        if self.state["q"]:
            return [
                StatusTab(value, label, None, False, self.querystring(status=value), value == self.state["status"])
                for value, label in STATUS_FILTERS
            ]
        cap = cap or COUNT_CAP
        base = self._filtered(with_status=False).order_by()
        # SELECT 1: with no other column needed, an index on (department, status) answers alone.
        # Compiled once with a stand-in status, then repeated with each status as its parameter.
        rows = base.filter(status=_ANY_STATUS).annotate(one=Value(1)).values("one")[: cap + 1]
        sql, row_params = rows.query.sql_with_params()
        at = row_params.index(_ANY_STATUS)
        selects, params = [], []
        for index, status in enumerate(Status.values):
            selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{index})")  # noqa: S608 - the ORM's SQL, values as parameters
            params.extend((*row_params[:at], status, *row_params[at + 1 :]))
        with connections[base.db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(selects), params)
            counts = dict(zip(Status.values, cursor.fetchone(), strict=True))
        capped = {status: count > cap for status, count in counts.items()}
        counts = {status: min(count, cap) for status, count in counts.items()}
        tabs = []
        for value, label in STATUS_FILTERS:
            members = statuses_of_filter(value)
            tabs.append(
                StatusTab(
                    value=value,
                    label=label,
                    count=sum(counts[s] for s in members),
                    capped=any(capped[s] for s in members),
                    querystring=self.querystring(status=value),
                    current=value == self.state["status"],
                )
            )
        return tabs

    # Paging

    def page(self, params, size=None):
        """The rows after (or before) the cursor in `params`: a bad or stale cursor gives the first page."""
        size = size or PAGE_SIZE
        before = self._cursor_values(params.get("before"))
        if before is not None:
            rows = self._rows(before, reverse=True, limit=size + 1)
            return Page(self, rows[:size][::-1], has_previous=len(rows) > size, has_next=True)
        after = self._cursor_values(params.get("after"))
        rows = self._rows(after, reverse=False, limit=size + 1)
        return Page(self, rows[:size], has_previous=after is not None, has_next=len(rows) > size)

    def _rows(self, cursor, reverse, limit):
        """`limit` rows beyond `cursor` (None: from the start), in the order or its reverse."""
        qs = self.queryset
        if self.state["sort"] == "priority" and connections[qs.db].features.supports_slicing_ordering_in_compound:
            return _with_people(self._rows_by_priority(cursor, reverse, limit))
        qs = qs.select_related(None).only(*ROW_FIELDS)
        if cursor is not None:
            qs = qs.filter(self._beyond(cursor, reverse))
        if reverse:
            qs = qs.order_by(*self._ordering(reverse=True))
        return _with_people(list(qs[:limit]))

    def _rows_by_priority(self, cursor, reverse, limit):
        """The priority sort's rows as ONE query: a UNION ALL of a short query per priority, each
        walking the last-update index, instead of ranking every open ticket with a CASE first
        (which at a million tickets sorts tens of thousands of rows for every page)."""
        smaller = "lt" if not reverse else "gt"
        base = self._filtered().only(*ROW_FIELDS)
        parts = []
        for priority, rank in PRIORITY_RANK.items():
            qs = base.filter(priority=priority)
            if cursor is not None:
                cursor_rank, updated_at, pk = cursor
                if (rank > cursor_rank) if not reverse else (rank < cursor_rank):
                    continue  # this whole priority lies before the cursor
                if rank == cursor_rank:  # the same keyset, with its index-friendly start (see _beyond)
                    qs = qs.filter(
                        Q(**{f"updated_at__{smaller}e": updated_at}),
                        Q(**{f"updated_at__{smaller}": updated_at})
                        | Q(updated_at=updated_at, **{f"pk__{smaller}": pk}),
                    )
            parts.append(qs.order_by(*(("updated_at", "pk") if reverse else ("-updated_at", "-pk")))[:limit])
        if not parts:
            return []
        rows = list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
        for row in rows:
            row.priority_rank = PRIORITY_RANK[row.priority]
        rows.sort(key=lambda row: (row.priority_rank, row.updated_at, row.pk), reverse=not reverse)
        return rows[:limit]

    def cursor(self, ticket):
        """The token naming `ticket`'s position in this sort."""
        values = []
        for name, _descending in self.sort.keys:
            value = getattr(ticket, name)
            values.append(value.isoformat() if isinstance(value, datetime) else value)
        raw = json.dumps(values, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _cursor_values(self, token):
        if not token or len(token) > 200:
            return None
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(raw, list) or len(raw) != len(self.sort.keys):
            return None
        values = []
        for (name, _descending), value in zip(self.sort.keys, raw, strict=True):
            if name in ("pk", "priority_rank"):
                if type(value) is not int:
                    return None
            elif value is None:
                if name != self.sort.nullable:
                    return None
            else:
                value = _aware_datetime(value)
                if value is None:
                    return None
            values.append(value)
        return values

    def _beyond(self, values, reverse):
        """The rows strictly after the cursor position, in the forward or reversed order.

        The usual keyset expansion: (k1 beyond v1) or (k1 = v1 and k2 beyond v2) or ..., and
        "k1 at or beyond v1" besides: redundant, but the database cannot start an index scan at
        the cursor from the OR alone, and would walk every row before it (slow on deep pages).
        """
        condition = Q(pk__in=[])
        equal = Q()
        first, descending = self.sort.keys[0]
        start = Q()
        if first != self.sort.nullable:
            start = Q(**{f"{first}__{'lte' if descending != reverse else 'gte'}": values[0]})
        for (name, descending), value in zip(self.sort.keys, values, strict=True):
            if name == self.sort.nullable:
                # Ascending with NULLs last: after a value come larger values, then the NULLs.
                if value is None:
                    later = Q(**{f"{name}__isnull": False}) if reverse else Q(pk__in=[])
                    same = Q(**{f"{name}__isnull": True})
                elif reverse:
                    later, same = Q(**{f"{name}__lt": value}), Q(**{name: value})
                else:
                    later, same = Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True}), Q(**{name: value})
            else:
                smaller_is_later = descending != reverse
                later = Q(**{f"{name}__{'lt' if smaller_is_later else 'gt'}": value})
                same = Q(**{name: value})
            condition |= equal & later
            equal &= same
        return start & condition


@dataclass(frozen=True)
class StatusTab:
    value: str
    label: str
    count: int | None
    capped: bool
    querystring: str
    current: bool


@dataclass
class Page:
    """One page of the queue, with the query strings of its neighbours."""

    queue: QueueFilter
    rows: list
    has_previous: bool
    has_next: bool

    def _link(self, direction, ticket):
        base = self.queue.querystring()
        return f"{base}{'&' if base else ''}{direction}={self.queue.cursor(ticket)}"

    @property
    def next_querystring(self):
        return self._link("after", self.rows[-1]) if self.has_next and self.rows else ""

    @property
    def previous_querystring(self):
        return self._link("before", self.rows[0]) if self.has_previous and self.rows else ""


def _with_people(tickets):
    """`tickets` with their customer and assignee (name and e-mail only) from ONE query.

    The page's query reads the tickets table alone: joined with the users, departments and
    services it took PostgreSQL longer to plan than to run. Departments and services are named
    from the cached menus (tickets.choices)."""
    ids = {ticket.customer_id for ticket in tickets} | {ticket.assignee_id for ticket in tickets}
    ids.discard(None)
    people = get_user_model().objects.only("name", "email").in_bulk(ids) if ids else {}
    for ticket in tickets:
        # A user deleted since the first query is simply left to load on access.
        if ticket.customer_id in people:
            ticket.customer = people[ticket.customer_id]
        if ticket.assignee_id in people:
            ticket.assignee = people[ticket.assignee_id]
    return tickets


def _aware_datetime(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None
