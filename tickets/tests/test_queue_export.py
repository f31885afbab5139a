"""CSV export of the staff queue: the queue's filters and access rule, streamed, safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from tickets.models import Status
from tickets.views.export import neutralise

URL = reverse("staff:export_csv")


pytestmark = pytest.mark.usefixtures("english")


def _rows(response):
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_an_agent_exports_the_active_tickets_of_their_departments(make_ticket, billing, agent, login):
    mine = make_ticket(subject="Site fora do ar")
    make_ticket(subject="Resolvido").close(by=agent)
    make_ticket(department=billing, subject="Boleto atrasado")
    response = login(agent).get(URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-')
    header, *rows = _rows(response)
    assert header[:4] == ["Reference", "Subject", "Status", "Priority"]
    assert [row[:3] for row in rows] == [[mine.display_reference, "Site fora do ar", "Open"]]
    assert rows[0][header.index("Customer")] == "cliente@example.com"


def test_the_export_follows_the_queue_filters(make_ticket, agent, login):
    make_ticket(subject="Aberto")
    make_ticket(subject="Fechado").close(by=agent)
    client = login(agent)
    subjects = [row[1] for row in _rows(client.get(URL, {"status": Status.CLOSED}))[1:]]
    assert subjects == ["Fechado"]
    subjects = {row[1] for row in _rows(client.get(URL, {"status": "all", "q": "Fechado"}))[1:]}
    assert subjects == {"Fechado"}


def test_unknown_filters_are_ignored_not_trusted(make_ticket, billing, agent, login):
    make_ticket(department=billing, subject="Boleto atrasado")
    rows = _rows(login(agent).get(URL, {"department": str(billing.pk), "status": "all"}))
    assert rows[1:] == []


@pytest.mark.parametrize(
    ("subject", "cell"),
    [
        ('=HYPERLINK("http://evil.example","Clique")', '\'=HYPERLINK("http://evil.example","Clique")'),
        ("+55 11 9999-9999 não conecta", "'+55 11 9999-9999 não conecta"),
        ("-1 GB de espaço", "'-1 GB de espaço"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("Erro = 500 no site", "Erro = 500 no site"),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(make_ticket, agent, login, subject, cell):
    make_ticket(subject=subject)
    header, row = _rows(login(agent).get(URL))
    assert row[header.index("Subject")] == cell


def test_neutralise_leaves_ordinary_and_empty_cells_alone():
    assert [neutralise(value) for value in ("", None, "abc", 12, "\rx")] == ["", "", "abc", "12", "'\rx"]


def test_the_queue_page_links_the_export_with_its_filters(agent, login):
    page = login(agent).get(reverse("staff:queue"), {"status": "closed", "bogus": "1"}).content.decode()
    assert f'href="{URL}?status=closed"' in page


@pytest.mark.parametrize("who", ["customer", "other_customer"])
def test_customers_get_a_404(request, login, ticket, who):
    assert login(request.getfixturevalue(who)).get(URL).status_code == 404


def test_an_agent_of_another_department_exports_none_of_these_tickets(ticket, other_agent, login):
    assert _rows(login(other_agent).get(URL))[1:] == []


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_export_only_answers_get(agent, login):
    assert login(agent).post(URL).status_code == 405


@pytest.mark.parametrize("language, separator", [("pt-br", ";"), ("en", ",")])
def test_the_export_opens_in_columns_in_excel_of_the_users_language(make_ticket, agent, login, language, separator):
    make_ticket(subject="Erro; site, fora do ar")
    agent.language = language
    agent.save()
    text = b"".join(login(agent).get(URL).streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=separator))
    assert header[:2] == (["Referência", "Assunto"] if language == "pt-br" else ["Reference", "Subject"])
    assert row[1] == "Erro; site, fora do ar"
    assert len(row) == len(header) > 10
