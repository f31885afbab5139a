"""Customer satisfaction: asked at each close by e-mail links and on the ticket page, recorded only by POST."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from departments.models import Membership
from tickets.models import EventKind, Notification, NotificationKind, Rating, Scale, Ticket
from tickets.satisfaction import SALT, make_token
from tickets.tests.notifications import add_contact, bodies, to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process", "english")]

LINK = re.compile(r"https://help\.example\.com(/tickets/\d+/rate/[\w.:-]+/)\?score=(\w+)")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://help.example.com"


@pytest.fixture
def closed(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    """The ticket closed by the agent, its e-mail sent."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket.close(by=agent)
    return ticket


def links(text):
    """{score: path} of the rating links in an e-mail body."""
    return {score: path for path, score in LINK.findall(text)}


def close_again(ticket, customer, agent, capture):
    with capture(execute=True):
        ticket.reply(author=customer, body="Voltou a falhar.")
        ticket.close(by=agent)


# The closing e-mail


def test_the_staff_close_e_mail_offers_the_answers_as_links_in_text_and_html(closed, mailoutbox):
    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    assert "How was our support with this ticket?" in text
    assert set(links(text)) == {"good", "bad"}
    assert "Good: https://help.example.com/tickets/" in text
    assert "How was our support with this ticket?" in html
    assert set(links(html.replace("&amp;", "&"))) == {"good", "bad"}
    # Each link names this ticket.
    assert all(path.startswith(f"/tickets/{closed.reference}/rate/") for path in links(text).values())


def test_the_closing_e_mail_asks_in_portuguese_for_a_portuguese_customer(
    ticket, customer, agent, settings, mailoutbox, django_capture_on_commit_callbacks
):
    customer.language = "pt-br"
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket.close(by=agent)

    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    for body in (text, html):
        assert "Como foi o nosso atendimento neste ticket?" in body
        assert "Bom" in body and "Ruim" in body
        assert "Cada link abre uma página" in body
    assert set(links(text)) == {"good", "bad"}


def test_the_department_s_own_question_and_five_point_scale_are_used(
    ticket, support, agent, mailoutbox, django_capture_on_commit_callbacks
):
    support.satisfaction_scale = Scale.FIVE
    support.satisfaction_question_en = "Did Suporte fix your site?"
    support.satisfaction_question_pt = "O Suporte resolveu o seu site?"
    support.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket.close(by=agent)

    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    assert "Did Suporte fix your site?" in text and "Did Suporte fix your site?" in html
    assert list(links(text)) == ["5", "4", "3", "2", "1"]
    assert "5 · Very satisfied" in text


def test_the_auto_close_e_mail_offers_the_answers_too(ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    ticket.reply(author=agent, body="Resolvido.", from_staff=True)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket.auto_close(timezone.now() + timedelta(days=8))

    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    assert "did not hear back from you" in text
    assert set(links(text)) == {"good", "bad"}
    assert "How was our support with this ticket?" in html


def test_a_reply_that_closes_the_ticket_offers_the_answers_and_a_plain_reply_does_not(
    ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket.reply(author=agent, body="Ainda verificando.", from_staff=True)
        ticket.reply_and_close(author=agent, body="Pronto, resolvido.")

    first, last = [bodies(m)[0] for m in mailoutbox if m.to == ["cliente@example.com"]][-2:]
    assert links(first) == {}
    assert set(links(last)) == {"good", "bad"}


def test_when_the_customer_closes_the_ticket_the_contacts_e_mail_asks_and_the_page_asks_the_customer(
    ticket, customer, login, mailoutbox, django_capture_on_commit_callbacks
):
    add_contact(customer, "socio@example.com")
    client = login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/tickets/{ticket.reference}/close/", follow=True)

    assert set(links(bodies(to(mailoutbox, "socio@example.com"))[0])) == {"good", "bad"}
    assert "How did we do?" in response.content.decode()
    assert 'name="score" value="good"' in response.content.decode()


def test_a_department_that_does_not_ask_sends_no_links_and_the_page_does_not_ask(
    ticket, support, agent, customer, login, mailoutbox, django_capture_on_commit_callbacks
):
    support.satisfaction_survey = False
    support.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket.close(by=agent)

    text, html = bodies(to(mailoutbox, "cliente@example.com"))
    assert links(text) == {} and "/rate/" not in html
    assert "How did we do?" not in login(customer).get(ticket.get_absolute_url()).content.decode()


def test_a_merged_duplicate_is_not_asked(make_ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    duplicate, target = make_ticket(), make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        duplicate.merge_into(target, by=agent)

    assert "/rate/" not in bodies(to(mailoutbox, "cliente@example.com"))[0]


# The rating page


def test_following_a_link_shows_the_answer_chosen_and_records_nothing(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["bad"]

    response = client.get(f"{path}?score=bad")

    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'value="bad"[^>]*checked', page)
    assert not re.search(r'value="good"[^>]*checked', page)
    assert not Rating.objects.exists()
    assert not closed.events.filter(kind=EventKind.RATED).exists()


def test_posting_the_form_records_the_rating_and_thanks_the_customer(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]

    response = client.post(path, {"score": "good", "comment": "Rápido e gentil."}, follow=True)

    rating = Rating.objects.get()
    assert (rating.ticket, rating.score, rating.points, rating.comment) == (closed, "good", 5, "Rápido e gentil.")
    assert rating.department == closed.department
    assert response.redirect_chain[-1][0] == f"{path}thanks/"
    assert "Thank you for your rating" in response.content.decode()
    event = closed.events.get(kind=EventKind.RATED)
    assert (event.new_value, event.note, event.actor) == ("good", "Rápido e gentil.", closed.customer)


def test_a_rating_without_an_answer_or_with_an_answer_of_another_scale_is_refused(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]

    missing = client.post(path, {"comment": "Hm."})
    foreign = client.post(path, {"score": "4"})

    assert "Please choose an answer." in missing.content.decode()
    assert "Please choose one of the answers offered." in foreign.content.decode()
    assert "Your rating was not recorded" in foreign.content.decode()
    assert not Rating.objects.exists()


def test_the_rating_can_be_changed_for_three_days_and_then_no_more(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]
    client.post(path, {"score": "good"})

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        client.post(path, {"score": "bad", "comment": "Voltou a falhar."})
    rating = Rating.objects.get()
    assert (rating.score, rating.comment) == ("bad", "Voltou a falhar.")
    changed = closed.events.filter(kind=EventKind.RATED).last()
    assert (changed.old_value, changed.new_value) == ("good", "bad")

    with time_machine.travel(timezone.now() + timedelta(days=4)):
        response = client.post(path, {"score": "good"})
        assert "can no longer be changed" in response.content.decode()
    rating.refresh_from_db()
    assert rating.score == "bad"
    assert closed.events.filter(kind=EventKind.RATED).count() == 2


def test_a_reopened_ticket_asks_again_at_its_next_close_and_the_old_link_records_nothing(
    closed, customer, agent, client, mailoutbox, django_capture_on_commit_callbacks
):
    old_path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]
    client.post(old_path, {"score": "good"})
    mailoutbox.clear()

    close_again(closed, customer, agent, django_capture_on_commit_callbacks)

    stale = client.post(old_path, {"score": "bad"})
    assert "no longer asked for" in stale.content.decode()
    assert Rating.objects.get().score == "good"
    new_path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["bad"]
    assert new_path != old_path
    client.post(new_path, {"score": "bad"})
    assert sorted(Rating.objects.values_list("score", flat=True)) == ["bad", "good"]
    assert Rating.objects.filter(ticket=closed).count() == 2


def test_a_link_of_a_ticket_reopened_before_anyone_rated_records_nothing(
    closed, customer, client, mailoutbox, django_capture_on_commit_callbacks
):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]
    closed.reply(author=customer, body="Na verdade, não resolveu.")

    client.post(path, {"score": "good"})

    assert not Rating.objects.exists()


def test_one_rating_per_close_even_when_posted_twice(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]

    client.post(path, {"score": "good", "comment": "Ótimo"})
    client.post(path, {"score": "good", "comment": "Ótimo"})

    assert Rating.objects.count() == 1
    assert closed.events.filter(kind=EventKind.RATED).count() == 1


# Tokens


def test_a_token_on_another_ticket_s_address_is_not_found(closed, make_ticket, agent, client, mailoutbox):
    other = make_ticket(subject="Outro")
    other.close(by=agent)
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]
    token = path.split("/")[4]

    assert client.get(f"/tickets/{other.reference}/rate/{token}/").status_code == 404
    assert client.post(f"/tickets/{other.reference}/rate/{token}/", {"score": "good"}).status_code == 404
    assert not Rating.objects.exists()


def test_an_altered_or_forged_token_is_not_found(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]
    token = path.split("/")[4]
    closing = closed.current_closing()
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    # Right shape, signed with another key: not ours.
    forged = signing.dumps([closed.pk, closed.customer_id, closing.pk], salt=SALT, key="guessed-secret")

    for bad in (altered, forged, "123", "abc:def"):
        assert client.post(f"/tickets/{closed.reference}/rate/{bad}/", {"score": "good"}).status_code == 404
    assert not Rating.objects.exists()


def test_a_token_made_for_another_customer_is_not_found(closed, other_customer, client):
    closing = closed.current_closing()
    token = signing.dumps([closed.pk, other_customer.pk, closing.pk], salt=SALT, compress=True)

    assert client.get(f"/tickets/{closed.reference}/rate/{token}/").status_code == 404
    # The same ticket and close with its own customer: the page opens.
    assert client.get(f"/tickets/{closed.reference}/rate/{make_token(closed, closing)}/").status_code == 200


def test_a_link_older_than_thirty_days_has_expired(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client.post(path, {"score": "good"})

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not Rating.objects.exists()


def test_rating_posts_are_rate_limited(closed, client, mailoutbox):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]

    statuses = [client.post(path, {"score": "nonsense"}).status_code for _attempt in range(21)]

    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429


# Guests


def test_a_guest_ticket_is_rated_through_its_own_token_only(
    support, agent, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        guest = Ticket.open(
            customer=None,
            guest_email="denuncia@fora.example.org",
            department=support,
            subject="Spam",
            body="Recebi spam.",
        )
        guest.close(by=agent)
    closing_mail = [m for m in mailoutbox if m.to == ["denuncia@fora.example.org"]][-1]
    path = links(bodies(closing_mail)[0])["bad"]

    client.post(path, {"score": "bad", "comment": "Nada foi feito."})

    rating = Rating.objects.get()
    assert (rating.ticket, rating.score) == (guest, "bad")
    assert guest.events.get(kind=EventKind.RATED).actor is None
    # No other way in: the guest has no account, and the ticket page is for its customer only.
    assert client.get(guest.get_absolute_url()).status_code == 302


# The ticket page


def test_the_closed_ticket_s_page_asks_and_records_through_its_form(closed, customer, login):
    client = login(customer)
    page = client.get(closed.get_absolute_url()).content.decode()
    action = re.search(r'<form method="post" action="(/tickets/\d+/rate/[^"]+)"', page).group(1)

    response = client.post(action, {"score": "good", "comment": "Valeu"}, follow=True)

    assert Rating.objects.get().comment == "Valeu"
    assert "Back to the ticket" in response.content.decode()
    after = client.get(closed.get_absolute_url()).content.decode()
    assert "Your rating: <strong>Good</strong>" in after
    assert "Service rated: Good" in after


def test_an_open_ticket_s_page_does_not_ask(ticket, customer, login):
    assert "How did we do?" not in login(customer).get(ticket.get_absolute_url()).content.decode()


def test_another_customer_cannot_see_the_ticket_s_rating_form(closed, other_customer, login):
    assert login(other_customer).get(closed.get_absolute_url()).status_code == 404


# Bad ratings


def test_a_bad_rating_tells_the_supervisors_once_with_the_comment_and_a_workspace_link(
    closed, supervisor, agent, client, mailoutbox, django_capture_on_commit_callbacks
):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["bad"]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"score": "bad", "comment": "Demoraram três dias."})
        client.post(path, {"score": "good", "comment": "Pensando bem, ok."})
        client.post(path, {"score": "bad", "comment": "Não, foi ruim."})

    assert [m.to for m in mailoutbox] == [["supervisor@example.com"]]
    message = mailoutbox[0]
    text, html = bodies(message)
    assert message.subject == f"[#{closed.reference}] Bad rating (Bad): Site fora do ar"
    assert "Demoraram três dias." in text and "Demoraram três dias." in html
    assert f"https://help.example.com/staff/tickets/{closed.reference}/" in text
    assert f'href="https://help.example.com/staff/tickets/{closed.reference}/"' in html
    assert Notification.objects.filter(kind=NotificationKind.BAD_RATING).count() == 1


def test_the_bad_rating_e_mail_is_in_the_supervisor_s_language(
    closed, supervisor, client, mailoutbox, django_capture_on_commit_callbacks
):
    supervisor.language = "pt-br"
    supervisor.save()
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["bad"]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"score": "bad", "comment": "Ruim demais."})

    message = to(mailoutbox, "supervisor@example.com")
    text, html = bodies(message)
    assert "Avaliação ruim (Ruim)" in message.subject
    assert "Comentário do cliente:" in text and "Comentário do cliente:" in html
    assert "Acompanhe no atendimento" in html


def test_a_good_rating_tells_nobody(closed, supervisor, client, mailoutbox, django_capture_on_commit_callbacks):
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["good"]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"score": "good"})

    assert mailoutbox == []


def test_a_supervisor_of_another_department_is_not_told(
    closed, supervisor, billing, client, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.models import User

    other = User.objects.create_user("chefe.fin@example.com", "x", name="Chefe")
    Membership.objects.create(department=billing, user=other, is_supervisor=True)
    path = links(bodies(to(mailoutbox, "cliente@example.com"))[0])["bad"]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, {"score": "bad"})

    assert [m.to for m in mailoutbox] == [["supervisor@example.com"]]
