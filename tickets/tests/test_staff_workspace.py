"""The staff workspace: the thread, replying, notes, canned replies, the collision warning,
details, assignment and transfer, and the page's query count."""

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Contact
from departments.models import Department, Membership, Service
from tickets.models import (
    CannedReply,
    EventKind,
    Message,
    Notification,
    NotificationKind,
    Priority,
    Source,
    Status,
    Ticket,
)
from tickets.tests.files import png_bytes

pytestmark = pytest.mark.usefixtures("english")


def _newest(ticket):
    return ticket.messages.order_by("-pk").values_list("pk", flat=True).first()


def _post(client, ticket, action="reply", body="Reiniciamos o servidor.", **extra):
    data = {"action": action, "body": body, "seen": _newest(ticket), **extra}
    return client.post(ticket.get_staff_url(), data)


def _page(client, ticket):
    response = client.get(ticket.get_staff_url())
    assert response.status_code == 200
    return response.content.decode()


# The page


def test_workspace_shows_the_facts_of_the_ticket(login, agent, supervisor, customer, make_ticket, hosting):
    Contact.objects.create(user=customer, email="socia@example.com", verified_at="2026-01-01T00:00Z")
    Contact.objects.create(user=customer, email="nao.confirmado@example.com")
    ticket = make_ticket(service=hosting, priority=Priority.HIGH, site="loja.exemplo.com.br")
    ticket.assign(supervisor, by=agent)
    page = _page(login(agent), ticket)
    for text in (
        "Carla Cliente",
        "cliente@example.com",
        "Suporte",
        "Hospedagem",
        "High priority",
        "badge-status-open",
        "Sofia Supervisora",
        "loja.exemplo.com.br",
    ):
        assert text in page, text
    facts = page.split('class="row small mb-3 hd-facts"')[1].split("</dl>")[0]
    assert "socia@example.com" in facts and "nao.confirmado@example.com" not in facts
    assert "not confirmed" in page  # the sidebar lists every contact, marked


def test_workspace_marks_internal_notes_and_words_events_for_staff(login, agent, customer, ticket):
    ticket.reply(author=agent, body="Reiniciamos.")
    ticket.reply(author=agent, body="Cliente usa PHP 5", internal=True)
    ticket.close(by=customer)
    page = _page(login(agent), ticket)
    assert "hd-message-internal" in page and "not visible to the customer" in page
    assert "Cliente usa PHP 5" in page
    assert "Status changed from “Open” to “Answered” by André Agente\n" in page
    assert "Closed by Carla Cliente (customer)" in page
    assert "(support team)" not in page


def test_email_messages_offer_the_original_text(login, agent, ticket, customer):
    ticket.reply(
        author=customer, body="Ainda fora.", body_original="Ainda fora.\n\n> Em 1 de março...", source=Source.EMAIL
    )
    page = _page(login(agent), ticket)
    assert "Show the original e-mail" in page
    assert "&gt; Em 1 de março..." in page


def test_staff_messages_list_their_deliveries(login, agent, ticket):
    message = ticket.reply(author=agent, body="Resolvido.")
    Notification.objects.filter(thread_message=message).update(state="delivered")
    page = _page(login(agent), ticket)
    deliveries = page.split("hd-deliveries")[1].split("</ul>")[0]
    assert "cliente@example.com" in deliveries and "Delivered" in deliveries


def test_the_thread_escapes_what_people_typed_on_both_pages(login, client, agent, customer, ticket):
    """Message cards are drawn by a Jinja2 partial (tickets/_message.html): nothing anybody typed becomes markup."""
    evil = '<img src=x onerror="alert(1)">&'
    customer.name = f"Carla {evil}"
    customer.save()
    guest = ticket.reply(author=None, sender_email=f"x{evil}@example.com", body=f"Oi {evil}", source=Source.EMAIL)
    Message.objects.filter(pk=guest.pk).update(body_original=f"Original {evil}")
    reply = ticket.reply(author=agent, body=f"Resposta {evil}")
    Notification.objects.filter(thread_message=reply).update(
        recipient=f"y{evil}@example.com", state="queued", attempts=2, last_error=f"550 {evil}"
    )
    reply.attachments.create(original_name=f"log {evil}.txt", content_type="text/plain", size=10, file="a.txt")
    # Jinja2 writes a quote as &#34;, Django as &quot;: read the text unescaped, and check no tag is left.
    escaped = evil
    staff_page = _page(login(agent), ticket)
    start = staff_page.index('<ol class="list-unstyled hd-thread">')
    thread = staff_page[start : staff_page.index("</ol>", start)]
    assert "<img" not in thread and "&lt;img" in thread
    thread = html.unescape(thread)
    for text in (f"Carla {escaped}", f"x{escaped}@example.com", f"Oi {escaped}", f"Original {escaped}",
                 f"Resposta {escaped}", f"y{escaped}@example.com", f"550 {escaped}", f"log {escaped}.txt"):  # fmt: skip
        assert text in thread, text
    assert "retrying after 2 failed attempts" in thread
    client.force_login(customer)
    customer_page = client.get(ticket.get_absolute_url()).content.decode()
    start = customer_page.index('<ol class="list-unstyled hd-thread">')
    thread = customer_page[start : customer_page.index("</ol>", start)]
    assert "<img" not in thread
    thread = html.unescape(thread)
    assert f"Resposta {escaped}" in thread and f"log {escaped}.txt" in thread
    assert f"Original {escaped}" not in thread and f"550 {escaped}" not in thread and "hd-deliveries" not in thread


@pytest.mark.parametrize("bound", [False, True])
def test_workspace_fields_are_drawn_with_bootstraps_label_errors_and_help(agent, ticket, bound):
    from tickets.forms.staff import AssignForm, MergeForm, StaffReplyForm, TicketDetailsForm, TransferForm

    def data(values):
        return {"data": values} if bound else {}

    forms_ = [
        StaffReplyForm(ticket, agent, **data({"action": "reply", "body": "", "seen": "x", "canned": "0"})),
        TicketDetailsForm(ticket, **data({"status": "bogus", "priority": "<b>"})),
        AssignForm(ticket, agent, **data({"assignee": "999999"})),
        TransferForm(ticket, **data({"department": "abc"})),
        MergeForm(ticket, agent, **data({"target": "#<b>&"})),
    ]
    checked = 0
    for form in forms_:
        if bound:
            assert not form.is_valid()
        for field in form.shown_fields:
            html = str(field.as_field_group())
            assert html.startswith(f'<div id="div_{field.auto_id}" class="mb-3">'), field.name
            assert f'<label for="{field.id_for_label}" class="form-label' in html
            assert ('<span class="asteriskField">*</span>' in html) == field.field.required
            assert (f'id="{field.auto_id}_error" class="invalid-feedback"' in html) == bool(field.errors)
            assert ("is-invalid" in html) == bool(field.errors)
            # (Jinja2 writes an apostrophe as &#39;, Django as &#x27;.)
            text = html.replace("&#39;", "&#x27;")
            for error in field.errors:
                assert f"<span><strong>{escape(error)}</strong></span>" in text
            if field.help_text:
                assert f'<div id="{field.auto_id}_helptext" class="form-text">{escape(field.help_text)}</div>' in text
            checked += 1
    assert checked >= 9
    assert "<b>" not in "".join(str(field.as_field_group()) for form in forms_ for field in form.shown_fields)


def test_sidebar_lists_the_customers_other_tickets_the_agent_may_see(login, agent, make_ticket, billing):
    ticket = make_ticket(subject="Atual")
    other = make_ticket(subject="Anterior <b>&</b>")
    hidden = make_ticket(subject="Fatura", department=billing)
    page = _page(login(agent), ticket)
    sidebar = page.split("Other tickets")[1]
    assert f'href="{other.get_staff_url()}">{other.display_reference} Anterior &lt;b&gt;&amp;&lt;/b&gt;</a>' in sidebar
    assert '<span class="badge badge-status-open">Open</span>' in sidebar
    assert hidden.display_reference not in page


def _workspace_queries(client, ticket):
    with CaptureQueriesContext(connection) as queries:
        _page(client, ticket)
    return len(queries)


def _with_files(message, count):
    """`count` files on `message` (rows only: the pages link files, they do not read them)."""
    for n in range(count):
        image = n % 2 == 0
        message.attachments.create(
            original_name=f"anexo-{n}.{'png' if image else 'txt'}",
            content_type="image/png" if image else "text/plain",
            size=1000 + n,
            file=f"x/anexo-{n}",
            thumbnail=f"x/anexo-{n}-thumb.webp" if image else "",
        )


def test_the_workspace_makes_as_many_queries_for_30_messages_as_for_3(login, agent, customer, ticket):
    """With files and deliveries on the messages, on the workspace and on the customer's page."""
    staff = login(agent)
    _with_files(ticket.messages.get(), 1)
    ticket.reply(author=agent, body="Um")
    ticket.reply(author=agent, body="Nota", internal=True)
    _workspace_queries(staff, ticket)  # the menus' departments and services are cached from now on
    few = _workspace_queries(staff, ticket)
    client = Client()
    client.force_login(customer)
    customer_page = ticket.get_absolute_url()
    client.get(customer_page)  # as for the workspace: what the first load caches
    with CaptureQueriesContext(connection) as few_customer:
        client.get(customer_page)
    for index in range(27):
        # Ending on a staff reply, as above: the customer's page asks one more question while
        # the customer has the last word (whether the ticket may be escalated yet).
        author = customer if index % 2 else agent
        message = ticket.reply(author=author, body=f"Mensagem {index}", internal=index % 5 == 0 and author == agent)
        _with_files(message, index % 3)
    ticket.set_priority(Priority.HIGH, by=agent)
    assert ticket.messages.count() == 30
    assert Notification.objects.filter(thread_message__ticket=ticket).count() >= 13
    # 11: the session (read from the database), the user and their memberships, the ticket (with
    # whether it has ratings: this one has none, so they are not read), its messages, files,
    # deliveries, other tickets, contacts and events; the problem card's open problems. None of
    # them grows with the thread. (The similar tickets come after the page.)
    assert _workspace_queries(staff, ticket) == few <= 11
    with CaptureQueriesContext(connection) as many_customer:
        page = client.get(customer_page).content.decode()
    assert "anexo-1.txt" in page and "anexo-0-thumb" not in page  # linked through the view, not the path
    assert len(many_customer) == len(few_customer)


# Replying


def test_reply_sets_answered_and_tells_the_customer(login, agent, ticket):
    response = _post(login(agent), ticket)
    assert response.status_code == 302 and response["Location"] == ticket.get_staff_url()
    ticket.refresh_from_db()
    message = ticket.messages.last()
    assert ticket.status == Status.ANSWERED
    assert (message.body, message.author, message.from_staff, message.internal) == (
        "Reiniciamos o servidor.",
        agent,
        True,
        False,
    )
    assert Notification.objects.filter(thread_message=message, kind=NotificationKind.STAFF_REPLY).exists()


def test_reply_with_a_screenshot_stores_it(login, agent, ticket):
    upload = SimpleUploadedFile("tela.png", png_bytes(), content_type="image/png")
    _post(login(agent), ticket, attachments=[upload])
    assert ticket.messages.last().attachments.get().original_name == "tela.png"


def test_reply_with_a_file_that_is_not_accepted_sends_nothing_and_keeps_the_text(login, agent, ticket):
    upload = SimpleUploadedFile("virus.exe", b"MZ\x90\x00binary", content_type="application/octet-stream")
    response = _post(login(agent), ticket, body="Segue o arquivo", attachments=[upload])
    page = response.content.decode()
    assert response.status_code == 200
    assert "is not an accepted file" in page and "Segue o arquivo" in page
    assert "Files are not kept" in page
    assert ticket.messages.count() == 1


def test_empty_reply_is_refused(login, agent, ticket):
    response = _post(login(agent), ticket, body="   ")
    assert "Write the message first." in response.content.decode()
    assert ticket.messages.count() == 1


def test_unknown_action_is_refused(login, agent, ticket):
    response = _post(login(agent), ticket, action="delete")
    assert response.status_code == 200
    assert ticket.messages.count() == 1


def test_internal_note_changes_no_status_and_is_mailed_to_nobody(login, agent, ticket):
    _post(login(agent), ticket, action="note", body="Cliente usa PHP 5")
    ticket.refresh_from_db()
    note = ticket.messages.last()
    assert note.internal and ticket.status == Status.OPEN
    assert not Notification.objects.filter(thread_message=note).exists()


def test_internal_notes_never_reach_the_customers_page(client, login, agent, customer, ticket):
    _post(login(agent), ticket, action="note", body="Cliente usa PHP 5")
    client.logout()
    page = login(customer).get(ticket.get_absolute_url()).content.decode()
    assert "Cliente usa PHP 5" not in page and "Internal note" not in page


def test_reply_and_close_closes_with_one_mail_to_the_customer(login, agent, ticket):
    _post(login(agent), ticket, action="reply_close", body="Resolvido, fechando.")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    kinds = list(
        Notification.objects.filter(ticket=ticket, recipient="cliente@example.com")
        .exclude(kind=NotificationKind.ACKNOWLEDGEMENT)
        .values_list("kind", flat=True)
    )
    assert kinds == [NotificationKind.STAFF_REPLY]
    statuses = list(ticket.events.filter(kind=EventKind.STATUS).values_list("new_value", flat=True))
    assert statuses == [Status.ANSWERED, Status.CLOSED]


# Canned replies


@pytest.fixture
def canned(support, billing):
    return {
        "greeting": CannedReply.objects.create(
            title="Saudação",
            body="Olá {customer_name}, sobre {reference} ({subject}) no {department}: {agent_name}. {desconhecido} {",
        ),
        "support": CannedReply.objects.create(title="Reinício", body="Reiniciamos o servidor.", department=support),
        "billing": CannedReply.objects.create(title="Boleto", body="Segue o boleto.", department=billing),
        "inactive": CannedReply.objects.create(title="Antiga", body="Não usar.", active=False),
    }


def test_canned_replies_offered_are_the_departments_and_the_global_active_ones(login, agent, ticket, canned):
    page = _page(login(agent), ticket)
    assert "Saudação" in page and "Reinício" in page
    assert "Boleto" not in page and "Antiga" not in page


def test_canned_replies_edited_in_the_admin_show_at_once(login, agent, ticket, canned, support):
    client = login(agent)
    assert "Reinício" in _page(client, ticket)  # the menus are cached from here on
    CannedReply.objects.create(title="Backup", body="Restauramos o backup.", department=support)
    canned["support"].active = False
    canned["support"].save()
    canned["inactive"].active = True
    canned["inactive"].save()
    page = _page(client, ticket)
    assert "Backup" in page and "Antiga" in page and "Reinício" not in page
    canned["greeting"].delete()
    assert "Saudação" not in _page(client, ticket)


def test_inserting_a_canned_reply_fills_the_placeholders_and_keeps_the_text(login, agent, ticket, canned):
    response = _post(login(agent), ticket, action="insert", body="Bom dia.", canned=canned["greeting"].pk)
    assert response.status_code == 200
    body = response.context["reply_form"].initial["body"]
    assert body == (
        f"Bom dia.\n\nOlá Carla Cliente, sobre {ticket.display_reference} (Site fora do ar) no Suporte: "
        "André Agente. {desconhecido} {"
    )
    assert ticket.messages.count() == 1


def test_the_page_hands_the_filled_texts_to_the_script(login, agent, ticket, canned):
    page = _page(login(agent), ticket)
    data = page.split('<script id="canned-texts" type="application/json">')[1].split("</script>")[0]
    texts = json.loads(data)
    assert texts[str(canned["support"].pk)] == "Reiniciamos o servidor."
    assert "Carla Cliente" in texts[str(canned["greeting"].pk)]
    assert str(canned["billing"].pk) not in texts


def test_a_canned_reply_of_another_department_cannot_be_inserted(login, agent, ticket, canned):
    response = _post(login(agent), ticket, action="insert", body="", canned=canned["billing"].pk)
    assert "Select a valid choice" in response.content.decode()


def test_insert_without_a_choice_says_so(login, agent, ticket, canned):
    response = _post(login(agent), ticket, action="insert", body="")
    assert "Choose the canned reply to insert." in response.content.decode()


# The collision warning


def test_a_message_that_arrived_meanwhile_stops_the_reply_once(login, agent, customer, ticket):
    client = login(agent)
    seen = _newest(ticket)
    late = ticket.reply(author=customer, body="Esqueci: o e-mail também parou.")
    response = client.post(ticket.get_staff_url(), {"action": "reply", "body": "Reiniciamos.", "seen": seen})
    page = response.content.decode()
    assert response.status_code == 200
    assert "A new message arrived while you were writing" in page and "Nothing was sent." in page
    assert f'id="message-{late.pk}"' in page and "hd-message-arrived" in page
    assert "Reiniciamos.</textarea>" in page
    assert f'name="seen" value="{late.pk}"' in page
    assert 'form="composer" name="action" value="reply"' in page  # "send anyway"
    assert ticket.messages.count() == 2
    response = client.post(ticket.get_staff_url(), {"action": "reply", "body": "Reiniciamos.", "seen": late.pk})
    assert response.status_code == 302
    assert ticket.messages.last().body == "Reiniciamos."


def test_a_note_by_a_colleague_also_counts_as_news(login, agent, supervisor, ticket):
    seen = _newest(ticket)
    ticket.reply(author=supervisor, body="Já estou vendo isso.", internal=True)
    response = login(agent).post(ticket.get_staff_url(), {"action": "note", "body": "Eu também", "seen": seen})
    assert "A new message arrived" in response.content.decode()
    assert ticket.messages.count() == 2


@pytest.mark.parametrize("seen", [None, "", "x", "-1", "1e3", "٣"])
def test_without_a_valid_seen_field_every_message_is_news(login, agent, ticket, seen):
    data = {"action": "reply", "body": "Oi"} | ({} if seen is None else {"seen": seen})
    response = login(agent).post(ticket.get_staff_url(), data)
    assert response.status_code == 200
    assert "A new message arrived" in response.content.decode()
    assert ticket.messages.count() == 1


# Details, assignment, transfer


def test_details_change_status_priority_and_service_each_with_an_event(login, agent, ticket, hosting):
    url = reverse("staff:details", args=[ticket.reference])
    login(agent).post(url, {"status": "on_hold", "priority": "high", "service": hosting.pk})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.service) == (Status.ON_HOLD, Priority.HIGH, hosting)
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {EventKind.STATUS, EventKind.PRIORITY, EventKind.SERVICE} <= kinds


def test_details_with_a_bad_value_change_nothing(login, agent, ticket):
    url = reverse("staff:details", args=[ticket.reference])
    response = login(agent).post(url, {"status": "deleted", "priority": "high"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.OPEN, Priority.MEDIUM)


def test_an_inactive_service_stays_selectable_on_the_tickets_that_have_it(login, agent, make_ticket):
    old = Service.objects.create(name="Revenda antiga", active=False)
    ticket = make_ticket(service=old)
    assert "Revenda antiga" in _page(login(agent), ticket)


def test_assign_to_me(login, agent, ticket):
    login(agent).post(reverse("staff:assign", args=[ticket.reference]), {"action": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.events.filter(kind=EventKind.ASSIGNEE, new_value="André Agente").exists()


def test_assign_to_another_agent_of_the_department_and_unassign(login, agent, supervisor, ticket):
    client = login(agent)
    url = reverse("staff:assign", args=[ticket.reference])
    client.post(url, {"action": "set", "assignee": supervisor.pk})
    ticket.refresh_from_db()
    assert ticket.assignee == supervisor
    client.post(url, {"action": "set", "assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.events.filter(kind=EventKind.ASSIGNEE).count() == 2


def test_an_agent_of_another_department_cannot_be_assigned(login, agent, other_agent, customer, ticket):
    response = login(agent).post(
        reverse("staff:assign", args=[ticket.reference]), {"action": "set", "assignee": other_agent.pk}
    )
    assert "Fábio Financeiro does not work in Suporte." in response.content.decode()
    for nobody in (other_agent, customer):
        with pytest.raises(Exception, match="does not work in Suporte"):
            ticket.assign(nobody, by=agent)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_the_assignee_list_holds_the_departments_agents_only(login, agent, supervisor, other_agent, ticket):
    form_html = _page(login(agent), ticket).split('id="assign_assignee"')[1].split("</select>")[0]
    assert "Sofia Supervisora" in form_html and "André Agente" in form_html
    assert "Fábio Financeiro" not in form_html


def test_transfer_releases_an_assignee_who_does_not_work_there(login, agent, billing, ticket):
    ticket.assign(agent, by=agent)
    response = login(agent).post(reverse("staff:transfer", args=[ticket.reference]), {"department": billing.pk})
    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (billing, None)
    assert ticket.events.filter(kind=EventKind.DEPARTMENT, new_value="Financeiro").exists()
    # The agent does not work in Financeiro: back to the queue, with a word about it.
    assert response["Location"] == reverse("staff:queue")


def test_transfer_to_a_department_the_agent_also_works_stays_on_the_ticket(login, agent, billing, ticket):
    Membership.objects.create(department=billing, user=agent)
    response = login(agent).post(reverse("staff:transfer", args=[ticket.reference]), {"department": billing.pk})
    assert response["Location"] == ticket.get_staff_url()


def test_transfer_to_the_same_or_an_unknown_department_is_refused(login, agent, support, ticket):
    client = login(agent)
    for department in (support.pk, 9999, "x"):
        response = client.post(reverse("staff:transfer", args=[ticket.reference]), {"department": department})
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).department == support


def test_staff_posts_change_only_the_fields_they_declare(login, agent, customer, ticket):
    _post(login(agent), ticket, customer=999, internal="", from_staff="0", status="closed")
    message = Message.objects.filter(ticket=ticket).last()
    ticket.refresh_from_db()
    assert message.from_staff and ticket.customer == customer and ticket.status == Status.ANSWERED


def test_a_department_added_in_the_admin_shows_in_the_menus_at_once(login, agent, ticket):
    client = login(agent)
    assert "Abusos" not in _page(client, ticket)
    abuse = Department.objects.create(name="Abusos", slug="abusos", email="abusos@example.com")
    assert "Abusos" in _page(client, ticket)
    abuse.active = False
    abuse.save()
    assert "Abusos" not in _page(client, ticket).split('id="transfer_department"')[1].split("</select>")[0]


def test_the_agents_menu_follows_memberships_and_renames_at_once(login, agent, other_agent, ticket, support):
    client = login(agent)

    def menu():
        return _page(client, ticket).split('id="assign_assignee"')[1].split("</select>")[0]

    assert "Fábio Financeiro" not in menu()
    membership = Membership.objects.create(department=support, user=other_agent)
    assert f'<option value="{other_agent.pk}">Fábio Financeiro</option>' in menu()
    other_agent.name = "Fábio Suporte <b>&</b>"
    other_agent.save()
    assert f'<option value="{other_agent.pk}">Fábio Suporte &lt;b&gt;&amp;&lt;/b&gt;</option>' in menu()
    other_agent.is_active = False
    other_agent.save()
    assert "Fábio Suporte" not in menu()
    other_agent.is_active = True
    other_agent.save()
    membership.delete()
    assert "Fábio Suporte" not in menu()


def test_a_login_keeps_the_cached_menus(agent, django_assert_num_queries):
    from django.contrib.auth.signals import user_logged_in

    from tickets import choices

    choices.agents()
    user_logged_in.send(sender=type(agent), request=None, user=agent)  # stamps last_login
    with django_assert_num_queries(0):
        assert (agent.pk, "André Agente") in choices.agents()


def test_a_long_thread_opens_on_its_latest_messages_and_shows_all_on_request(
    login, agent, customer, ticket, monkeypatch
):
    from tickets.views import staff

    monkeypatch.setattr(staff, "THREAD_LATEST", 3)
    for index in range(4):
        ticket.reply(author=customer if index % 2 else agent, body=f"Mensagem {index}")
    client = login(agent)
    page = _page(client, ticket)
    assert "Show the earlier messages" in page and "The latest 3 messages are shown." in page
    assert "Meu site mostra erro 500." not in page and "Mensagem 0" not in page
    assert all(f"Mensagem {index}" in page for index in (1, 2, 3))
    assert f'name="seen" value="{_newest(ticket)}"' in page
    everything = client.get(ticket.get_staff_url(), {"thread": "all"}).content.decode()
    assert "Meu site mostra erro 500." in everything and "Show the earlier messages" not in everything


def test_a_superuser_may_take_a_ticket_and_stays_shown_as_its_assignee(login, admin_user, ticket):
    client = login(admin_user)
    client.post(reverse("staff:assign", args=[ticket.reference]), {"action": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == admin_user
    menu = _page(client, ticket).split('id="assign_assignee"')[1].split("</select>")[0]
    assert f'<option value="{admin_user.pk}" selected>Ana Admin</option>' in menu


def test_the_attachment_help_follows_the_language_of_each_request(login, agent, ticket):
    client = login(agent)
    assert "Screenshots (PNG, JPEG, GIF, WebP)" in _page(client, ticket)
    agent.language = "pt-br"
    agent.save()
    assert "Capturas de tela (PNG, JPEG, GIF, WebP)" in _page(client, ticket)
