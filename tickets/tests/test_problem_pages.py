"""The staff pages of recurring problems: the list, a problem's page and actions, linking from the
workspace and the queue, the CSV export and the dashboard; each tried by every role."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tickets import reports
from tickets.models import EventKind, Problem, ProblemStatus

pytestmark = pytest.mark.usefixtures("english")

FORBIDDEN = ["customer", "other_customer", "other_agent"]
SECTION = next(section for section in reports.SECTIONS if section.name == "problems")
ALLOWED = ["agent", "supervisor", "admin_user"]


@pytest.fixture
def problem(support, hosting, agent):
    return Problem.open_from(
        by=agent,
        department=support,
        service=hosting,
        title="web01 fora do ar",
        description="Disco cheio no web01",
        public_note="O servidor web01 está instável; estamos trabalhando nisso.",
    )


@pytest.mark.parametrize("who", ALLOWED)
def test_the_departments_staff_see_the_list_and_the_page(request, login, problem, ticket, agent, who):
    problem.link(ticket, by=agent)
    client = login(request.getfixturevalue(who))
    listing = client.get(reverse("staff:problems")).content.decode()
    assert "web01 fora do ar" in listing
    page = client.get(problem.get_absolute_url()).content.decode()
    assert "Disco cheio no web01" in page
    assert ticket.display_reference in page
    assert '<span title="cliente@example.com">Carla Cliente</span>' in page
    assert f"{ticket.display_reference} linked by André Agente" in page


@pytest.mark.parametrize("who", FORBIDDEN)
def test_nobody_else_sees_the_problem_or_learns_it_exists(request, login, problem, who):
    client = login(request.getfixturevalue(who))
    assert client.get(problem.get_absolute_url()).status_code == 404
    listing = client.get(reverse("staff:problems"))
    assert listing.status_code == 404 or "web01 fora do ar" not in listing.content.decode()
    export = client.get(reverse("staff:problems_csv"))
    assert export.status_code == 404 or "web01" not in b"".join(export.streaming_content).decode()


def test_anonymous_visitors_are_sent_to_log_in(client, problem):
    response = client.get(problem.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_filters_by_status_department_and_service(login, agent, problem, support):
    solved = Problem.open_from(by=agent, department=support, title="E-mail lento")
    solved.set_status(ProblemStatus.SOLVED, by=agent)
    client = login(agent)
    default = client.get(reverse("staff:problems")).content.decode()
    assert "web01 fora do ar" in default and "E-mail lento" not in default
    only_solved = client.get(reverse("staff:problems"), {"status": "solved"}).content.decode()
    assert "E-mail lento" in only_solved and "web01 fora do ar" not in only_solved
    by_service = client.get(
        reverse("staff:problems"), {"status": "all", "service": problem.service_id}
    ).content.decode()
    assert "web01 fora do ar" in by_service and "E-mail lento" not in by_service
    searched = client.get(reverse("staff:problems"), {"status": "all", "q": "lento"}).content.decode()
    assert "E-mail lento" in searched and "web01" not in searched


def test_editing_the_problem_changes_its_status_with_an_event_in_each_ticket(login, agent, problem, ticket, hosting):
    problem.link(ticket, by=agent)
    response = login(agent).post(
        problem.get_absolute_url(),
        {
            "title": "web01: disco cheio",
            "service": hosting.pk,
            "status": "known",
            "description": "",
            "public_note": "x",
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.title, problem.status) == ("web01: disco cheio", ProblemStatus.KNOWN)
    assert ticket.events.filter(kind=EventKind.PROBLEM_STATUS, new_value="known", actor=agent).exists()


def test_a_bad_edit_changes_nothing_and_says_why(login, agent, problem):
    response = login(agent).post(problem.get_absolute_url(), {"title": "", "status": "bogus"})
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    problem.refresh_from_db()
    assert (problem.title, problem.status) == ("web01 fora do ar", ProblemStatus.INVESTIGATING)


def test_a_problem_made_from_a_ticket_starts_with_that_ticket(login, agent, ticket, support):
    client = login(agent)
    form = client.get(reverse("staff:problem_new"), {"ticket": ticket.reference}).content.decode()
    assert 'value="Site fora do ar"' in form
    response = client.post(
        reverse("staff:problem_new"),
        {"ticket": ticket.reference, "title": "Site fora do ar", "department": support.pk, "service": ""},
    )
    problem = Problem.objects.get()
    assert response["Location"] == problem.get_absolute_url()
    assert list(problem.tickets.all()) == [ticket]
    assert problem.opened_by == agent


def test_an_agent_cannot_open_a_problem_in_another_department_or_with_its_tickets(
    login, other_agent, support, billing, ticket
):
    client = login(other_agent)
    response = client.post(reverse("staff:problem_new"), {"title": "x", "department": support.pk})
    assert response.status_code == 200 and not Problem.objects.exists()
    client.post(reverse("staff:problem_new"), {"ticket": ticket.reference, "title": "x", "department": billing.pk})
    assert list(Problem.objects.get().tickets.all()) == []


def test_the_workspace_links_the_ticket_to_a_problem_and_unlinks_it(login, agent, problem, ticket):
    client = login(agent)
    card = client.get(ticket.get_staff_url()).content.decode()
    assert "Recurring problem" in card and "web01 fora do ar" in card
    client.post(reverse("staff:ticket_problem", args=[ticket.reference]), {"action": "link", "problem": problem.pk})
    ticket.refresh_from_db()
    assert ticket.problem == problem
    assert "Linked to problem “web01 fora do ar” by André Agente" in client.get(ticket.get_staff_url()).content.decode()
    client.post(reverse("staff:ticket_problem", args=[ticket.reference]), {"action": "unlink"})
    ticket.refresh_from_db()
    assert ticket.problem is None


def test_the_workspace_refuses_a_problem_of_another_department(login, agent, ticket, billing, other_agent):
    theirs = Problem.open_from(by=other_agent, department=billing, title="Boletos")
    response = login(agent).post(
        reverse("staff:ticket_problem", args=[ticket.reference]), {"action": "link", "problem": theirs.pk}, follow=True
    )
    assert "Nothing was changed" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.problem is None


@pytest.mark.parametrize("who", FORBIDDEN)
def test_nobody_else_links_or_unlinks(request, login, agent, problem, ticket, who):
    client = login(request.getfixturevalue(who))
    url = reverse("staff:ticket_problem", args=[ticket.reference])
    assert client.post(url, {"action": "link", "problem": problem.pk}).status_code == 404
    problem.link(ticket, by=agent)
    assert client.post(url, {"action": "unlink"}).status_code == 404
    unlink = reverse("staff:problem_unlink", args=[problem.pk, ticket.reference])
    assert client.post(unlink).status_code == 404
    add = reverse("staff:problem_add_ticket", args=[problem.pk])
    assert client.post(add, {"reference": ticket.reference}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.problem == problem


def test_the_problem_page_links_a_ticket_by_reference_and_refuses_unknown_ones(login, agent, problem, ticket):
    client = login(agent)
    add = reverse("staff:problem_add_ticket", args=[problem.pk])
    response = client.post(add, {"reference": "#999999"})
    assert "There is no ticket #999999 in your departments." in response.content.decode()
    client.post(add, {"reference": f"#{ticket.reference}"})
    ticket.refresh_from_db()
    assert ticket.problem == problem
    client.post(reverse("staff:problem_unlink", args=[problem.pk, ticket.reference]))
    ticket.refresh_from_db()
    assert ticket.problem is None


def test_the_queue_links_selected_tickets_in_bulk(login, agent, problem, make_ticket, billing):
    mine = [make_ticket(subject=f"Fora {n}") for n in range(3)]
    other = make_ticket(department=billing)
    client = login(agent)
    assert 'name="problem"' in client.get(reverse("staff:queue")).content.decode()
    response = client.post(
        reverse("staff:bulk"),
        {
            "action": "link_problem",
            "problem": problem.display_reference,
            "tickets": [t.reference for t in mine + [other]],
        },
        follow=True,
    )
    assert "3 tickets changed." in response.content.decode()
    assert set(problem.tickets.all()) == set(mine)
    other.refresh_from_db()
    assert other.problem is None


@pytest.mark.parametrize("problem_reference", ["", "P-999", "abc", "theirs"])
def test_bulk_linking_without_a_problem_of_ones_own_changes_nothing(
    login, agent, make_ticket, billing, other_agent, problem_reference
):
    ticket = make_ticket()
    if problem_reference == "theirs":
        problem_reference = Problem.open_from(by=other_agent, department=billing, title="Boletos").display_reference
    response = login(agent).post(
        reverse("staff:bulk"),
        {"action": "link_problem", "problem": problem_reference, "tickets": [ticket.reference]},
        follow=True,
    )
    assert "Nothing was changed" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.problem is None


def test_the_csv_export_lists_the_problems_with_their_ticket_counts(login, agent, problem, make_ticket):
    for n in range(2):
        problem.link(make_ticket(subject=f"x{n}"), by=agent)
    Problem.open_from(by=agent, department=problem.department, title="=HYPERLINK(1)")
    response = login(agent).get(reverse("staff:problems_csv"), {"status": "all"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["Problem", "Title", "Department", "Service", "Status", "Tickets"]
    by_title = {row[1]: row for row in rows[1:]}
    assert by_title["web01 fora do ar"][5] == "2"
    assert by_title["web01 fora do ar"][4] == "Investigating"
    assert "'=HYPERLINK(1)" in by_title


def test_the_dashboard_lists_the_periods_problems_by_tickets_above_the_repeated_words(
    login, supervisor, agent, problem, make_ticket, support
):
    small = Problem.open_from(by=agent, department=support, title="Pequeno")
    small.link(make_ticket(subject="a"), by=agent)
    for n in range(3):
        problem.link(make_ticket(subject=f"b{n}"), by=agent)
    page = login(supervisor).get(reverse("staff:dashboard")).content.decode()
    section = page[page.index('id="recurring-heading"') : page.index('id="problems-heading"')]
    assert section.index("web01 fora do ar") < section.index("Pequeno")
    assert "Hospedagem" in section
    assert "Export problems (CSV)" in section


def test_the_dashboard_s_problems_are_those_opened_worked_on_or_solved_in_the_period(
    login, supervisor, agent, problem, support, make_ticket
):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=41), tick=False):
        still_known = Problem.open_from(by=agent, department=support, title="Conhecido")
        still_known.set_status(ProblemStatus.KNOWN, by=agent)
    with time_machine.travel(now - timedelta(days=40), tick=False):
        solved_long_ago = Problem.open_from(by=agent, department=support, title="Resolvido há tempos")
        solved_now = Problem.open_from(by=agent, department=support, title="Resolvido agora")
    with time_machine.travel(now - timedelta(days=39), tick=False):
        solved_long_ago.set_status(ProblemStatus.SOLVED, by=agent)
    with time_machine.travel(now - timedelta(days=2), tick=False):
        solved_now.set_status(ProblemStatus.SOLVED, by=agent)
        problem.link(make_ticket(), by=agent)
    with time_machine.travel(now, tick=False):
        report = login(supervisor).get(reverse("staff:dashboard"), {"days": "30"}).context["report"]
    rows = report.shown(SECTION)
    assert [(row.title, row.status_label, row.tickets, row.time_open) for row in rows] == [
        ("web01 fora do ar", "Investigating", 1, "0 min"),
        ("Resolvido agora", "Solved", 0, "38 d"),
        ("Conhecido", "Known", 0, "41 d"),
    ]
    assert rows[0].url == problem.get_absolute_url() and rows[0].reference == problem.display_reference


def test_the_dashboard_shows_no_problem_of_a_department_the_supervisor_does_not_supervise(
    login, supervisor, other_agent, billing
):
    Problem.open_from(by=other_agent, department=billing, title="Boletos duplicados")
    assert "Boletos duplicados" not in login(supervisor).get(reverse("staff:dashboard")).content.decode()


def test_admins_manage_problems_and_a_status_changed_there_is_in_each_tickets_thread(
    client, admin_user, agent, problem, ticket
):
    problem.link(ticket, by=agent)
    client.force_login(admin_user)
    assert "web01 fora do ar" in client.get(reverse("admin:tickets_problem_changelist")).content.decode()
    change = reverse("admin:tickets_problem_change", args=[problem.pk])
    page = client.get(change).content.decode()
    assert ticket.subject in page  # the linked tickets, listed
    response = client.post(
        change,
        {
            "title": problem.title,
            "description": problem.description,
            "public_note": problem.public_note,
            "department": problem.department_id,
            "service": problem.service_id,
            "status": "known",
            "tickets-TOTAL_FORMS": "1",
            "tickets-INITIAL_FORMS": "1",
            "tickets-MIN_NUM_FORMS": "0",
            "tickets-MAX_NUM_FORMS": "1000",
            "tickets-0-id": ticket.pk,
            "tickets-0-problem": problem.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.KNOWN
    assert ticket.events.filter(kind=EventKind.PROBLEM_STATUS, new_value="known", actor=admin_user).exists()
