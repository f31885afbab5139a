"""Erasing a customer's account: confirmed by e-mail, anonymised, irreversible, recorded, statistics intact."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Contact, User
from conftest import PASSWORD
from privacy.erasure import erase
from privacy.models import Erasure
from tickets import reports, rollups, satisfaction
from tickets.models import Attachment, EventKind, InboundEmail, Message, RemovalReason, Source, Status
from tickets.tests.files import png_upload

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def history(make_ticket, customer, agent):
    """A closed ticket answered by staff, an open one with a screenshot, a contact's mail and its raw e-mail."""
    closed = make_ticket(subject="Erro 500", body="Meu CPF é 123.456.789-00")
    closed.reply(author=agent, body="Resolvido, Carla.")
    closed.close(by=customer)
    open_ticket = make_ticket(subject="Lentidão", uploads=[png_upload("painel.png")])
    contact = Contact.objects.create(user=customer, email="socio@example.com", verified_at=timezone.now())
    by_mail = Message.objects.create(
        ticket=open_ticket,
        sender_email=contact.email,
        source=Source.EMAIL,
        body="Também vejo lentidão",
        body_original="Também vejo lentidão\n--\nSócio, tel. 11 99999-0000",
    )
    InboundEmail.objects.create(raw=b"From: socio@example.com\r\n\r\nx", sender=contact.email, ticket=open_ticket)
    InboundEmail.objects.create(raw=b"From: cliente@example.com\r\n\r\nx", sender=customer.email)
    return {"closed": closed, "open": open_ticket, "by_mail": by_mail}


def _confirmation_link(mail):
    return re.search(r"http://[^\s]+(/accounts/data/erase/[^\s/]+/)", mail.body).group(1)


def test_asking_mails_a_confirmation_link_and_erases_nothing_yet(login, customer, mailoutbox):
    response = login(customer).post("/accounts/data/erase/", follow=True)

    assert "We sent a confirmation link to cliente@example.com" in response.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["cliente@example.com"]
    assert mail.subject == "Confirm the deletion of your account at Helpdesk"
    assert mail.message()["Auto-Submitted"] == "auto-generated"
    assert _confirmation_link(mail) in mail.alternatives[0][0]
    customer.refresh_from_db()
    assert customer.is_active and not Erasure.objects.exists()


def test_confirming_anonymises_the_account_and_logs_out(login, customer, history, mailoutbox, client):
    login(customer).post("/accounts/data/erase/")
    link = _confirmation_link(mailoutbox[0])
    assert "cannot be undone" in client.get(link).content.decode()
    assert User.objects.get(pk=customer.pk).is_active  # a GET (a mail scanner) erases nothing

    response = client.post(link)

    assert response.status_code == 200
    assert f"Removed customer #{customer.pk}" in response.content.decode()
    erased = User.objects.get(pk=customer.pk)
    assert erased.name == f"Removed customer #{customer.pk}"
    assert erased.email == f"removed-{customer.pk}@erased.invalid"
    assert not erased.is_active and not erased.has_usable_password()
    assert not Contact.objects.exists() and not EmailAddress.objects.filter(user=erased).exists()
    assert not client.login(username="cliente@example.com", password=PASSWORD)
    assert client.get("/tickets/").status_code == 302
    record = Erasure.objects.get(user=erased)
    assert record.by_customer and record.erased_by == erased
    assert record.requested_at is not None and record.requested_at <= record.erased_at


def test_files_raw_mail_and_contact_authorship_go(customer, history, other_customer, make_ticket):
    file = Attachment.objects.get(message__ticket=history["open"])
    stored = [file.file.name, file.thumbnail.name]
    someone_elses = InboundEmail.objects.create(raw=b"x", sender=other_customer.email)

    record = erase(customer, by=customer)

    file.refresh_from_db()
    assert file.removed_reason == RemovalReason.ERASURE and not file.original_name
    assert not any(file.file.storage.exists(name) for name in stored)
    assert list(InboundEmail.objects.all()) == [someone_elses]
    by_mail = Message.objects.get(pk=history["by_mail"].pk)
    assert by_mail.author_id == customer.pk and by_mail.sender_email == "" and by_mail.body_original == ""
    assert by_mail.body == "Também vejo lentidão"  # Suporte keeps the text
    assert (record.files_removed, record.raw_mails_deleted) == (1, 2)


def test_a_department_that_does_not_keep_text_replaces_it_and_staff_replies_stay(customer, history, support):
    support.erasure_keeps_text = False
    support.save()

    erase(customer, by=customer)

    texts = list(history["closed"].messages.order_by("pk").values_list("from_staff", "body"))
    assert texts == [
        (False, "(Text removed when the customer's account was erased.)"),
        (True, "Resolvido, Carla."),
    ]
    assert "123.456.789-00" not in str(list(Message.objects.values_list("body", flat=True)))


def test_open_tickets_are_closed_with_an_event_and_nobody_is_mailed(customer, history, mailoutbox):
    record = erase(customer, by=customer)

    history["open"].refresh_from_db()
    assert history["open"].status == Status.CLOSED
    event = history["open"].events.last()
    assert event.kind == EventKind.ERASED and event.actor is None
    assert record.tickets_closed == 1
    assert mailoutbox == []


def test_staff_see_the_anonymous_name_in_the_thread(login, agent, customer, history):
    erase(customer, by=customer)
    page = login(agent).get(history["closed"].get_staff_url()).content.decode()
    assert f"Removed customer #{customer.pk}" in page
    assert "Carla Cliente" not in page and "cliente@example.com" not in page
    open_page = login(agent).get(history["open"].get_staff_url()).content.decode()
    assert "Closed: the customer&#x27;s account was erased" in open_page
    assert "A file was removed on" in open_page and "painel.png" not in open_page


def _dashboard(supervisor, now):
    cache.clear()  # the period's figures as computed now, not as the last refresh left them
    return reports.build(supervisor, 30, now)


def test_the_dashboard_counts_and_times_are_the_same_before_and_after(supervisor, customer, history):
    now = timezone.now() + timedelta(minutes=1)
    history["open"].close(by=customer)
    before = _dashboard(supervisor, now)

    erase(customer, by=customer)

    after = _dashboard(supervisor, now)
    assert after.times == before.times
    assert after.volume == before.volume
    assert [row.by_status for row in after.rows] == [row.by_status for row in before.rows]
    assert before.times.answered == 1 and before.times.solved == 2
    assert rollups.reconcile() == 0


def test_closing_the_open_tickets_on_erasure_is_no_resolution(supervisor, customer, history, support):
    """The erasure ends the ticket, nobody solved it: resolution figures and the survey's closes
    stay as they were, on the running counts and on their nightly recount alike."""
    now = timezone.now() + timedelta(minutes=1)
    before = _dashboard(supervisor, now)
    closes_before = satisfaction._report([support], 30, now).closes

    erase(customer, by=customer)

    after = _dashboard(supervisor, now)
    assert after.times == before.times
    assert (after.times.solved, after.times.resolution_median) == (1, before.times.resolution_median)
    assert after.volume == before.volume  # the ticket still came in that day
    assert after.totals.open == before.totals.open - 1  # and is no longer open
    assert satisfaction._report([support], 30, now).closes == closes_before == 1
    assert rollups.reconcile() == 0
    assert _dashboard(supervisor, now).times == before.times


def test_a_ticket_closed_on_erasure_asks_for_no_rating(customer, history, agent):
    """Not even for an earlier close the customer never rated (the ticket was reopened since)."""
    ticket = history["open"]
    ticket.close(by=agent)
    ticket.reply(author=customer, body="Voltou a falhar.")

    erase(customer, by=customer)

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.current_closing() is None


def test_staff_reopening_and_closing_an_erased_customer_s_ticket_solve_it(supervisor, agent, customer, history):
    now = timezone.now() + timedelta(minutes=1)
    erase(customer, by=customer)
    ticket = history["open"]

    ticket.set_status(Status.IN_PROGRESS, by=agent)
    ticket.close(by=agent)

    assert _dashboard(supervisor, now).times.solved == 2
    assert rollups.reconcile() == 0


@pytest.mark.parametrize("who", ["other_customer", "agent", "admin_user"])
def test_the_link_works_only_for_the_account_that_asked(request, login, customer, mailoutbox, who):
    login(customer).post("/accounts/data/erase/")
    link = _confirmation_link(mailoutbox[0])
    someone = request.getfixturevalue(who)
    client = login(someone)
    assert client.post(link).status_code == 404
    assert User.objects.get(pk=customer.pk).is_active and User.objects.get(pk=someone.pk).is_active


def test_the_link_expires_after_two_days(login, customer, mailoutbox):
    client = login(customer)
    client.post("/accounts/data/erase/")
    link = _confirmation_link(mailoutbox[0])
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        response = client.post(link)
    assert response.status_code == 404
    assert User.objects.get(pk=customer.pk).is_active


def test_anonymous_visitors_are_sent_to_log_in(client, customer):
    assert "/accounts/login/" in client.post("/accounts/data/erase/")["Location"]


@pytest.mark.parametrize("who", ["agent", "supervisor", "admin_user"])
def test_staff_accounts_are_not_erased_this_way(request, login, mailoutbox, who):
    user = request.getfixturevalue(who)
    response = login(user).post("/accounts/data/erase/", follow=True)
    assert "Staff accounts are not erased this way" in response.content.decode()
    assert mailoutbox == []
    with pytest.raises(Exception, match="Staff accounts"):
        erase(user, by=user)
    assert User.objects.get(pk=user.pk).is_active


def test_an_account_is_erased_once(customer):
    erase(customer, by=customer)
    with pytest.raises(Exception, match="already erased"):
        erase(customer, by=customer)
    assert Erasure.objects.count() == 1


def test_an_admin_erases_from_the_user_list_after_confirming(login, admin_user, customer, history, agent):
    client = login(admin_user)
    form = {"action": "erase_accounts", "_selected_action": [customer.pk, agent.pk]}

    confirmation = client.post("/admin/accounts/user/", form)
    assert confirmation.status_code == 200
    assert "This cannot be undone" in confirmation.content.decode()
    assert User.objects.get(pk=customer.pk).is_active

    response = client.post("/admin/accounts/user/", {**form, "confirmed": "yes"}, follow=True)

    page = response.content.decode()
    assert "1 account was erased." in page and "Staff accounts are not erased this way" in page
    record = Erasure.objects.get()
    assert record.user_id == customer.pk and record.erased_by == admin_user and not record.by_customer
    assert User.objects.get(pk=agent.pk).is_active


def test_the_record_of_erasures_cannot_be_changed_or_deleted_in_the_admin(login, admin_user, customer):
    record = erase(customer, by=admin_user)
    client = login(admin_user)
    assert client.get("/admin/privacy/erasure/").status_code == 200
    assert client.post(f"/admin/privacy/erasure/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Erasure.objects.filter(pk=record.pk).exists()


def test_the_link_names_no_address_and_dies_when_the_address_changes(login, customer, mailoutbox):
    client = login(customer)
    client.post("/accounts/data/erase/")
    link = _confirmation_link(mailoutbox[0])
    assert "cliente" not in link and "Y2xpZW50Z" not in link  # nor in base64
    customer.email = "nova@example.com"
    customer.save()
    assert client.post(link).status_code == 404
    assert User.objects.get(pk=customer.pk).is_active
