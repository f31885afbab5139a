import pytest
from django.utils import translation

from tickets.models import EventKind, Priority, Speaker, Status, Ticket


def _kinds(ticket):
    return list(ticket.events.values_list("kind", "old_value", "new_value"))


def test_opening_records_reference_message_and_event(ticket, customer):
    assert 100000 <= ticket.reference <= 999999
    assert ticket.display_reference == f"#{ticket.reference}"
    assert ticket.status == Status.OPEN
    assert ticket.messages.get().author == customer
    assert _kinds(ticket) == [(EventKind.CREATED, "", "")]


def test_references_are_unique_and_not_the_primary_key(make_ticket):
    tickets = [make_ticket() for _ in range(20)]
    references = {t.reference for t in tickets}
    assert len(references) == 20
    assert not all(t.reference == t.pk for t in tickets)


def test_staff_reply_sets_answered_and_first_response(ticket, agent):
    ticket.reply(author=agent, body="Olhando.")
    ticket.refresh_from_db()
    assert ticket.status == Status.ANSWERED
    assert ticket.first_response_at is not None
    assert ticket.last_speaker == Speaker.STAFF
    assert (EventKind.STATUS, Status.OPEN, Status.ANSWERED) in _kinds(ticket)


def test_customer_reply_before_any_answer_keeps_open(ticket, customer):
    ticket.reply(author=customer, body="Mais detalhes.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.events.filter(kind=EventKind.STATUS).count() == 0


def test_customer_reply_after_answer_sets_customer_reply(ticket, agent, customer):
    ticket.reply(author=agent, body="Olhando.")
    ticket.reply(author=customer, body="Obrigada, ainda não funcionou.")
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_REPLY
    assert ticket.last_speaker == Speaker.CUSTOMER


def test_customer_reply_reopens_closed_ticket(ticket, agent, customer):
    ticket.reply(author=agent, body="Resolvido.")
    ticket.close(by=customer)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    ticket.reply(author=customer, body="Voltou a acontecer.")
    ticket.refresh_from_db()
    assert ticket.status == Status.CUSTOMER_REPLY
    assert ticket.closed_at is None
    assert (EventKind.STATUS, Status.CLOSED, Status.CUSTOMER_REPLY) in _kinds(ticket)


def test_internal_note_changes_no_status(ticket, agent):
    ticket.reply(author=agent, body="Nota interna.", internal=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.first_response_at is None


def test_priority_assignment_and_transfer_are_events(ticket, agent, billing, supervisor):
    ticket.set_priority(Priority.HIGH, by=agent)
    ticket.assign(agent, by=supervisor)
    ticket.transfer(billing, by=supervisor)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    assert ticket.department == billing
    # The agent does not work Financeiro, so the transfer released the ticket.
    assert ticket.assignee is None
    kinds = _kinds(ticket)
    assert (EventKind.PRIORITY, Priority.MEDIUM, Priority.HIGH) in kinds
    assert (EventKind.ASSIGNEE, "", str(agent)) in kinds
    assert (EventKind.ASSIGNEE, str(agent), "") in kinds
    assert (EventKind.DEPARTMENT, "Suporte", "Financeiro") in kinds
    assert all(e.actor == supervisor for e in ticket.events.filter(kind=EventKind.DEPARTMENT))


def test_setting_the_same_value_records_nothing(ticket, agent):
    before = ticket.events.count()
    ticket.set_priority(ticket.priority, by=agent)
    ticket.set_status(ticket.status, by=agent)
    assert ticket.events.count() == before


def test_event_labels_are_human(ticket, agent):
    ticket.set_status(Status.ON_HOLD, by=agent)
    event = ticket.events.get(kind=EventKind.STATUS)
    with translation.override("en"):
        assert (str(event.old_label), str(event.new_label)) == ("Open", "On hold")
    with translation.override("pt-br"):
        assert (str(event.old_label), str(event.new_label)) == ("Aberto", "Em espera")


@pytest.mark.django_db
def test_ticket_stale_instance_does_not_overwrite_newer_changes(ticket, agent, customer):
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket.reply(author=agent, body="Answer")
    stale.set_priority(Priority.HIGH, by=agent)
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.status == Status.ANSWERED
    assert fresh.priority == Priority.HIGH
