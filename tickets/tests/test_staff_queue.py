"""The staff queue: filters, sorts, search, counts, pages, the URL state and the page's query count."""

import html
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from departments.models import Membership, Service
from tickets import queue
from tickets.models import Priority, Status, Ticket
from tickets.queue import QueueFilter

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def made(make_ticket):
    """make_ticket, then the given columns set as they would be after some life."""

    def make(**columns):
        opening = {key: columns.pop(key) for key in ("subject", "body", "customer", "department") if key in columns}
        ticket = make_ticket(**opening)
        if columns:
            Ticket.objects.filter(pk=ticket.pk).update(**columns)
            ticket.refresh_from_db()
        return ticket

    return make


def _refs(user, query="", **kwargs):
    return [t.reference for t in QueueFilter(user, QueryDict(query)).page(QueryDict(""), **kwargs).rows]


def _ago(minutes):
    return NOW - timedelta(minutes=minutes)


# Filters


def test_default_view_is_every_ticket_not_closed_of_the_agents_departments(agent, made, billing):
    waiting = made(status=Status.OPEN)
    answered = made(status=Status.ANSWERED)
    made(status=Status.CLOSED)
    made(department=billing)
    assert set(_refs(agent)) == {waiting.reference, answered.reference}


@pytest.mark.parametrize("status", Status.values)
def test_status_filter_shows_that_status_only(agent, made, status):
    wanted = made(status=status)
    for other in Status.values:
        if other != status:
            made(status=other)
    assert _refs(agent, f"status={status}") == [wanted.reference]


def test_status_all_includes_closed(agent, made):
    made(status=Status.CLOSED)
    made()
    assert len(_refs(agent, "status=all")) == 2


def test_department_filter_among_the_agents_departments(agent, made, billing):
    Membership.objects.create(department=billing, user=agent)
    agent = type(agent).objects.get(pk=agent.pk)
    support_ticket, billing_ticket = made(), made(department=billing)
    assert set(_refs(agent)) == {support_ticket.reference, billing_ticket.reference}
    assert _refs(agent, f"department={billing.pk}") == [billing_ticket.reference]


def test_department_the_agent_does_not_work_is_ignored_not_revealed(agent, made, billing):
    mine = made()
    made(department=billing)
    queue_filter = QueueFilter(agent, QueryDict(f"department={billing.pk}"))
    assert queue_filter.state["department"] == ""
    assert [t.reference for t in queue_filter.page(QueryDict("")).rows] == [mine.reference]


def test_priority_filter(agent, made):
    high = made(priority=Priority.HIGH)
    made(priority=Priority.LOW)
    assert _refs(agent, "priority=high") == [high.reference]


def test_assignee_filter_mine_unassigned_anyone(agent, supervisor, made):
    mine = made(assignee=agent)
    theirs = made(assignee=supervisor)
    nobodys = made()
    assert _refs(agent, "assignee=mine") == [mine.reference]
    assert _refs(agent, "assignee=unassigned") == [nobodys.reference]
    assert set(_refs(agent)) == {mine.reference, theirs.reference, nobodys.reference}


def test_service_filter(agent, made, hosting):
    domains = Service.objects.create(name="Domínios")
    hosted = made(service=hosting)
    made(service=domains)
    made()
    assert _refs(agent, f"service={hosting.pk}") == [hosted.reference]


def test_overdue_filter_uses_the_due_time_of_tickets_waiting_for_staff(agent, made):
    late = made(due_at=_ago(5))
    made(due_at=NOW + timedelta(hours=1))
    made(due_at=_ago(5), status=Status.ANSWERED)  # waiting for the customer: no clock
    made()
    assert _refs(agent, "overdue=1") == [late.reference]


def test_escalated_filter_leaves_out_closed_tickets(agent, made):
    escalated = made(escalated_at=_ago(30))
    made(escalated_at=_ago(30), status=Status.CLOSED)
    made()
    assert _refs(agent, "escalated=1&status=all") == [escalated.reference]


def test_filters_combine(agent, made):
    wanted = made(priority=Priority.HIGH, assignee=agent)
    made(priority=Priority.HIGH)
    made(assignee=agent)
    assert _refs(agent, "priority=high&assignee=mine") == [wanted.reference]


# Sorts


def test_default_sort_is_last_update_newest_first(agent, made):
    old, new, middle = made(updated_at=_ago(30)), made(updated_at=_ago(1)), made(updated_at=_ago(10))
    assert _refs(agent) == [new.reference, middle.reference, old.reference]


def test_sort_by_created_newest_first(agent, made):
    first, second = made(created_at=_ago(60), updated_at=_ago(1)), made(created_at=_ago(30), updated_at=_ago(50))
    assert _refs(agent, "sort=created") == [second.reference, first.reference]


def test_sort_by_priority_highest_first_then_last_update(agent, made):
    low = made(priority=Priority.LOW, updated_at=_ago(1))
    high_old = made(priority=Priority.HIGH, updated_at=_ago(20))
    high_new = made(priority=Priority.HIGH, updated_at=_ago(10))
    medium = made(priority=Priority.MEDIUM, updated_at=_ago(2))
    assert _refs(agent, "sort=priority") == [high_new.reference, high_old.reference, medium.reference, low.reference]


def test_sort_by_due_time_soonest_first_and_no_due_time_last(agent, made):
    none = made()
    later = made(due_at=NOW + timedelta(hours=3))
    sooner = made(due_at=NOW + timedelta(hours=1))
    late = made(due_at=_ago(60))
    assert _refs(agent, "sort=due") == [late.reference, sooner.reference, later.reference, none.reference]


# Search


def test_search_by_reference_with_or_without_hash(agent, made):
    wanted = made(subject="Certificado expirado")
    made()
    assert _refs(agent, f"q={wanted.reference}") == [wanted.reference]
    assert _refs(agent, f"q=%23{wanted.reference}") == [wanted.reference]
    assert _refs(agent, f"q=%23+{wanted.reference}") == [wanted.reference]


def test_search_by_reference_finds_closed_tickets_only_with_status_all(agent, made):
    closed = made(status=Status.CLOSED)
    assert _refs(agent, f"q={closed.reference}") == []
    assert _refs(agent, f"q={closed.reference}&status=all") == [closed.reference]


@pytest.fixture(params=["rare word", "rare word, many matches", "common word"])
def word_plans(request, monkeypatch):
    """On PostgreSQL a search finds its tickets one of two ways, by how common the planner thinks
    its words are (queue._document_condition): all must find the same tickets."""
    monkeypatch.setattr(queue, "COMMON_WORD", 0 if request.param == "common word" else 10**9)
    if request.param == "rare word, many matches":
        monkeypatch.setattr(queue, "FEW_MATCHES", 0)


def test_search_by_words_of_the_subject(agent, made, word_plans):
    wanted = made(subject="Certificado SSL expirado na loja")
    made(subject="Fatura em atraso", body="Boleto")
    assert _refs(agent, "q=certificado") == [wanted.reference]
    assert _refs(agent, "q=SSL+loja") == [wanted.reference]


def test_search_by_words_of_any_message_including_internal_notes(agent, customer, made, word_plans):
    by_reply, by_note = made(subject="Um"), made(subject="Dois")
    made(subject="Três")
    by_reply.reply(author=customer, body="O painel mostra timeout ao publicar")
    by_note.reply(author=agent, body="Cliente usa wordpress antigo", internal=True)
    assert _refs(agent, "q=timeout") == [by_reply.reference]
    assert _refs(agent, "q=wordpress") == [by_note.reference]


def test_search_wants_every_word_somewhere_in_the_ticket(agent, customer, made, word_plans):
    spread = made(subject="Site fora do ar", body="Desde ontem")
    spread.reply(author=agent, body="Reiniciamos o apache", internal=True)
    made(subject="Site lento", body="Desde hoje")
    assert _refs(agent, "q=site+apache") == [spread.reference]
    assert _refs(agent, "q=site+nginx") == []


def test_search_by_the_customers_email_whole_or_in_part(agent, made, other_customer):
    theirs = made(customer=other_customer)
    made()
    assert _refs(agent, "q=outro@example.com") == [theirs.reference]
    assert _refs(agent, "q=OUTRO@") == [theirs.reference]


def test_search_with_no_match_shows_nothing_and_odd_input_is_only_text(agent, made, word_plans):
    made()
    assert _refs(agent, "q=inexistente") == []
    assert _refs(agent, "q=%27%29+OR+1%3D1+--") == []
    assert _refs(agent, "q=%22site+fora%22+-nada") != [] or connection.vendor != "postgresql"


def test_search_stays_within_the_agents_departments(agent, made, billing, word_plans):
    made(department=billing, subject="Certificado vencido")
    assert _refs(agent, "q=certificado") == []


def test_search_combines_with_filters(agent, made, word_plans):
    wanted = made(subject="Certificado vencido", priority=Priority.HIGH)
    made(subject="Certificado vencido", priority=Priority.LOW)
    assert _refs(agent, "q=certificado&priority=high") == [wanted.reference]


# The allowlist


def test_only_allowlisted_keys_and_values_are_kept(agent, billing):
    params = QueryDict(
        "status=bogus&priority=urgent&assignee=everyone&sort=-id&department=abc&service=1;drop"
        "&overdue=yes&escalated=1&order_by=pk&customer=1&q=++muito+++espaço++"
    )
    state = QueueFilter(agent, params).state
    assert state == {**queue.DEFAULTS, "escalated": "1", "q": "muito espaço"}


def test_search_text_is_cut_to_a_sane_length(agent):
    assert len(QueueFilter(agent, QueryDict("q=" + "a" * 5000)).state["q"]) == queue.MAX_SEARCH_LENGTH


def test_querystring_keeps_only_what_differs_from_the_defaults(agent, support):
    queue_filter = QueueFilter(agent, QueryDict(f"status=active&priority=high&department={support.pk}&sort=updated"))
    assert queue_filter.querystring() == f"department={support.pk}&priority=high"
    assert queue_filter.querystring(sort="due") == f"department={support.pk}&priority=high&sort=due"


# Counts


def test_counts_per_status_follow_the_other_filters(agent, made):
    made(priority=Priority.HIGH)
    made(priority=Priority.HIGH, status=Status.ANSWERED)
    made(priority=Priority.LOW, status=Status.ANSWERED)
    made(priority=Priority.HIGH, status=Status.CLOSED)
    tabs = {tab.value: tab for tab in QueueFilter(agent, QueryDict("priority=high")).status_tabs()}
    assert (tabs["open"].count, tabs["answered"].count, tabs["closed"].count) == (1, 1, 1)
    assert (tabs["active"].count, tabs["all"].count) == (2, 3)
    assert tabs["active"].current and not tabs["open"].current
    assert tabs["answered"].querystring == "status=answered&priority=high"


def test_counts_stop_at_the_cap(agent, made):
    for _ in range(4):
        made()
    made(status=Status.CLOSED)
    tabs = {tab.value: tab for tab in QueueFilter(agent, QueryDict("")).status_tabs(cap=3)}
    assert (tabs["open"].count, tabs["open"].capped) == (3, True)
    assert (tabs["closed"].count, tabs["closed"].capped) == (1, False)
    assert (tabs["active"].count, tabs["active"].capped) == (3, True)


def test_the_page_shows_capped_counts_with_a_plus(login, agent, made, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    for _ in range(3):
        made()
    page = login(agent).get(reverse("staff:queue")).content.decode()
    assert 'Open <span class="badge rounded-pill hd-count">2+</span>' in page


# Pages


@pytest.mark.parametrize("sort", list(queue.SORTS))
def test_pages_walk_every_ticket_once_forwards_and_backwards(agent, made, sort):
    for index in range(11):
        made(
            updated_at=_ago(index % 4),  # ties on purpose: the primary key breaks them
            created_at=_ago(100 + index % 3),
            priority=Priority.values[index % 3],
            due_at=None if index % 3 == 0 else NOW + timedelta(minutes=index % 5),
        )
    queue_filter = QueueFilter(agent, QueryDict(f"sort={sort}"))
    expected = [t.reference for t in queue_filter.queryset]
    pages, params = [], QueryDict("")
    while True:
        page = queue_filter.page(params, size=4)
        pages.append(page)
        if not page.has_next:
            break
        params = QueryDict(page.next_querystring)
    walked = [t.reference for page in pages for t in page.rows]
    assert walked == expected and len(pages) == 3
    assert not pages[0].has_previous and pages[1].has_previous
    back = queue_filter.page(QueryDict(pages[2].previous_querystring), size=4)
    assert [t.reference for t in back.rows] == [t.reference for t in pages[1].rows]
    assert back.has_previous and back.has_next
    first = queue_filter.page(QueryDict(back.previous_querystring), size=4)
    assert [t.reference for t in first.rows] == [t.reference for t in pages[0].rows]
    assert not first.has_previous


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0", "WzEsMiwzLDRd", "WyIyMDI2LTEzLTAxIiwxXQ", "%00" * 3])
def test_a_bad_cursor_gives_the_first_page(agent, made, cursor):
    ticket = made()
    rows = QueueFilter(agent, QueryDict("")).page(QueryDict(f"after={cursor}&before={cursor}")).rows
    assert [t.reference for t in rows] == [ticket.reference]


def test_page_links_keep_the_filters(login, agent, made, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    for _ in range(3):
        made(priority=Priority.HIGH)
    client = login(agent)
    page = client.get(reverse("staff:queue"), {"priority": "high", "sort": "created"}).content.decode()
    assert 'rel="next" href="?priority=high&amp;sort=created&amp;after=' in page
    next_url = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(reverse("staff:queue") + next_url).content.decode()
    assert second.count('name="tickets"') == 1
    assert 'rel="prev"' in second


# The page


def test_the_page_shows_the_columns_of_a_ticket(login, agent, supervisor, made, hosting):
    ticket = made(
        subject="Loja fora do ar",
        service=hosting,
        priority=Priority.HIGH,
        assignee=supervisor,
        updated_at=_ago(5),
        due_at=_ago(2),
        escalated_at=_ago(1),
    )
    page = login(agent).get(reverse("staff:queue")).content.decode()
    for text in (
        ticket.display_reference,
        "Loja fora do ar",
        "Carla Cliente",
        "Suporte",
        "Hospedagem",
        "badge-priority-high",
        "badge-status-open",
        "Sofia Supervisora",
        "5\xa0minutes ago",
        "Overdue",
        "Escalated",
        f'href="{ticket.get_staff_url()}"',
    ):
        assert text in page, text
    assert "<strong>Customer</strong>" in page  # who spoke last


def test_the_rows_escape_what_people_typed(login, agent, supervisor, customer, made, support, hosting):
    """The rows are drawn by a Jinja2 partial (staff/_queue_rows.html): nothing anybody typed becomes markup."""
    evil = '<img src=x onerror="alert(1)">&'
    customer.name, supervisor.name = f"Carla {evil}", f"Sofia {evil}"
    customer.save()
    supervisor.save()
    support.name, hosting.name = f"Suporte {evil}", f"Hospedagem {evil}"
    support.save()
    hosting.save()
    made(subject=f"Loja {evil}", customer=customer, service=hosting, assignee=supervisor)
    guest = made(subject="Guest")
    Ticket.objects.filter(pk=guest.pk).update(customer=None, guest_email=f"x{evil}@example.com")
    page = login(agent).get(reverse("staff:queue")).content.decode()
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "<img" not in rows and "&lt;img" in rows
    # Jinja2 writes a quote as &#34;, Django as &quot;: both escape it.
    for text in (f"Loja {evil}", f"Carla {evil}", f"Sofia {evil}", f"Suporte {evil}", f"x{evil}", f"Hospedagem {evil}"):
        assert text in html.unescape(rows), text


def test_the_filter_bar_shows_the_current_state(login, agent, support):
    page = login(agent).get(reverse("staff:queue"), {"q": "ssl", "priority": "high", "overdue": "1"}).content.decode()
    assert 'name="q" id="filter_q" value="ssl"' in page
    assert '<option value="high" selected>' in page
    assert 'id="filter_overdue" checked' in page
    assert f'<option value="{support.pk}">Suporte</option>' in page
    assert "Clear all filters" in page


def test_empty_queue_says_so(login, agent, support):
    assert "No tickets here." in login(agent).get(reverse("staff:queue")).content.decode()


def _queue_queries(client, params=None):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("staff:queue"), params or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"q": "site", "priority": "medium", "sort": "priority"}])
def test_the_queue_makes_as_many_queries_for_30_tickets_as_for_3(login, agent, supervisor, made, hosting, params):
    client = login(agent)
    for index in range(3):
        made(service=hosting, assignee=supervisor if index % 2 else None)
    _queue_queries(client, params)  # the menus' departments and services are cached from now on
    few = _queue_queries(client, params)
    for index in range(27):
        made(service=hosting, assignee=supervisor if index % 2 else None)
    # 9: the session is read from the database on every request (it survives a Redis outage).
    assert _queue_queries(client, params) == few <= 9


def test_a_search_is_not_counted_per_status(agent, made):
    made(subject="Certificado vencido")
    tabs = QueueFilter(agent, QueryDict("q=certificado&priority=high")).status_tabs()
    assert {tab.count for tab in tabs} == {None}
    assert [tab.querystring for tab in tabs][1] == "q=certificado&status=open&priority=high"


def test_relative_times_are_short(settings):
    from tickets.templatetags.staff import relative

    assert relative(NOW - timedelta(seconds=20)) == "now"
    assert relative(NOW - timedelta(days=11, hours=3)) == "1\xa0week ago"
    assert relative(NOW + timedelta(hours=2, minutes=59)) == "in 2\xa0hours"
    assert relative(None) == ""


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_relative_times_say_what_timesince_says(language):
    """The queue's one-unit times are timesince's words, as "… ago" or "in …"."""
    from django.utils import translation
    from django.utils.timesince import timesince, timeuntil

    from tickets.templatetags.staff import relative

    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    spans = [timedelta(minutes=minutes) for minutes in range(1, 200, 7)]
    spans += [timedelta(hours=hours, minutes=59, seconds=59) for hours in range(0, 24 * 70, 13)]
    spans += [timedelta(hours=1), timedelta(days=1), timedelta(weeks=1), timedelta(weeks=4), timedelta(days=400)]
    with translation.override(language):
        for span in spans:
            since, until = timesince(now - span, now, depth=1), timeuntil(now + span, now, depth=1)
            assert relative(now - span, now) == gettext("%(delta)s ago") % {"delta": since}
            assert relative(now + span, now) == gettext("in %(delta)s") % {"delta": until}
