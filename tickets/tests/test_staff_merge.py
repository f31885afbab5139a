"""Merging a duplicate ticket into another: messages and files move, both threads record it,
the customer is told, and the old reference leads to the new one."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tickets.models import Attachment, EventKind, Notification, NotificationKind, Status
from tickets.tests.files import png_upload

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def pair(make_ticket, customer, agent):
    """The original ticket and a duplicate the customer opened later, with a screenshot."""
    original = make_ticket(subject="Site fora do ar")
    duplicate = make_ticket(
        subject="Site ainda fora do ar", body="Abri outro ticket.", uploads=[png_upload("tela.png")]
    )
    duplicate.reply(author=customer, body="Alguém viu?")
    return original, duplicate


def _merge(client, source, target):
    return client.post(reverse("staff:merge", args=[source.reference]), {"target": f"#{target.reference}"})


def test_merge_moves_messages_and_files_records_it_on_both_and_closes_the_duplicate(login, agent, pair):
    original, duplicate = pair
    response = _merge(login(agent), duplicate, original)
    assert response.status_code == 302 and response["Location"] == original.get_staff_url()
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert [m.body for m in original.messages.all()] == [
        "Meu site mostra erro 500.",
        "Abri outro ticket.",
        "Alguém viu?",
    ]
    assert not duplicate.messages.exists()
    assert Attachment.objects.get().message.ticket == original
    assert (duplicate.status, duplicate.merged_into) == (Status.CLOSED, original)
    assert duplicate.events.filter(kind=EventKind.MERGED, new_value=original.display_reference, actor=agent).exists()
    assert original.events.filter(kind=EventKind.MERGED, old_value=duplicate.display_reference).exists()


def test_the_customer_is_told_once(login, agent, pair):
    original, duplicate = pair
    _merge(login(agent), duplicate, original)
    notices = Notification.objects.filter(kind=NotificationKind.MERGED)
    assert [(n.ticket, n.recipient) for n in notices] == [(duplicate, "cliente@example.com")]


def test_the_merged_thread_reads_well_for_staff_and_customer(client, login, agent, customer, pair):
    original, duplicate = pair
    _merge(login(agent), duplicate, original)
    staff_page = client.get(original.get_staff_url()).content.decode()
    assert f"Ticket {duplicate.display_reference} was merged into this one by André Agente" in staff_page
    assert "Alguém viu?" in staff_page and "tela.png" in staff_page
    client.logout()
    customer_page = login(customer).get(original.get_absolute_url()).content.decode()
    assert f"Ticket {duplicate.display_reference} was merged into this one by André Agente (support team)" in (
        customer_page
    )
    attachment = Attachment.objects.get()
    assert client.get(attachment.get_absolute_url()).status_code == 200


def test_the_old_reference_leads_to_the_target_for_staff_and_customer(client, login, agent, customer, pair):
    original, duplicate = pair
    _merge(login(agent), duplicate, original)
    response = client.get(duplicate.get_staff_url())
    assert response.status_code == 302 and response["Location"] == original.get_staff_url()
    client.logout()
    response = login(customer).get(duplicate.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == original.get_absolute_url()


def test_the_old_reference_stays_404_for_someone_else(client, login, agent, other_customer, other_agent, pair):
    original, duplicate = pair
    _merge(login(agent), duplicate, original)
    for who in (other_customer, other_agent):
        client.logout()
        client = login(who)
        assert client.get(duplicate.get_absolute_url()).status_code == 404
        assert client.get(duplicate.get_staff_url()).status_code == 404


@pytest.mark.parametrize("target", ["999999", "abc", "", "#"])
def test_an_unknown_target_is_refused(login, agent, pair, target):
    original, duplicate = pair
    response = login(agent).post(reverse("staff:merge", args=[duplicate.reference]), {"target": target})
    assert response.status_code == 200
    assert duplicate.messages.count() == 2 and duplicate.merged_into is None


def test_a_target_in_a_department_the_agent_does_not_work_is_refused_as_unknown(
    login, agent, make_ticket, billing, pair
):
    _original, duplicate = pair
    elsewhere = make_ticket(department=billing)
    response = _merge(login(agent), duplicate, elsewhere)
    assert f"There is no ticket #{elsewhere.reference} in your departments." in response.content.decode()
    assert elsewhere.messages.count() == 1 and duplicate.messages.count() == 2


def test_a_ticket_cannot_be_merged_into_itself(login, agent, pair):
    _original, duplicate = pair
    response = _merge(login(agent), duplicate, duplicate)
    assert "A ticket cannot be merged into itself." in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.status != Status.CLOSED


def test_nothing_merges_into_a_ticket_that_was_itself_merged(login, agent, make_ticket, pair):
    original, duplicate = pair
    third = make_ticket(subject="Terceiro")
    duplicate.merge_into(original, by=agent)
    response = _merge(login(agent), third, duplicate)
    assert f"{duplicate.display_reference} was itself merged into another ticket." in response.content.decode()
    assert third.messages.count() == 1


def test_a_merged_ticket_cannot_be_merged_again(agent, make_ticket, pair):
    original, duplicate = pair
    duplicate.merge_into(original, by=agent)
    with pytest.raises(ValidationError, match="already merged"):
        duplicate.merge_into(make_ticket(), by=agent)


def test_tickets_of_different_customers_are_never_merged(login, agent, make_ticket, other_customer, pair):
    original, _duplicate = pair
    theirs = make_ticket(customer=other_customer)
    response = _merge(login(agent), theirs, original)
    assert "Only tickets of the same customer can be merged." in response.content.decode()
    assert theirs.messages.count() == 1 and original.messages.count() == 1
    assert not Notification.objects.filter(kind=NotificationKind.MERGED).exists()


def test_merging_is_offered_to_staff_only(client, login, agent, customer, pair):
    original, _duplicate = pair
    assert "Merge a duplicate" in login(agent).get(original.get_staff_url()).content.decode()
    client.logout()
    assert "Merge" not in login(customer).get(original.get_absolute_url()).content.decode()
