"""`visible_to` is the one access rule; every role, including the forbidden cases."""

from django.contrib.auth.models import AnonymousUser

from tickets.models import Attachment, Message, Ticket
from tickets.tests.files import png_upload


def test_anonymous_sees_nothing(ticket):
    assert not Ticket.objects.visible_to(AnonymousUser()).exists()
    assert not Message.objects.visible_to(AnonymousUser()).exists()


def test_customer_sees_only_own_tickets(ticket, make_ticket, other_customer, customer):
    theirs = make_ticket(customer=other_customer)
    assert list(Ticket.objects.visible_to(customer)) == [ticket]
    assert list(Ticket.objects.visible_to(other_customer)) == [theirs]


def test_customer_never_sees_internal_notes(ticket, agent, customer):
    ticket.reply(author=agent, body="secret note", internal=True)
    bodies = set(Message.objects.visible_to(customer).values_list("body", flat=True))
    assert "secret note" not in bodies
    assert "secret note" in set(Message.objects.visible_to(agent).values_list("body", flat=True))


def test_agent_sees_department_tickets_only(ticket, make_ticket, billing, agent, other_agent):
    billing_ticket = make_ticket(department=billing)
    assert set(Ticket.objects.visible_to(agent)) == {ticket}
    assert set(Ticket.objects.visible_to(other_agent)) == {billing_ticket}
    assert set(Ticket.objects.staff_visible_to(other_agent)) == {billing_ticket}


def test_agent_sees_own_customer_tickets_in_visible_to_but_not_in_staff_view(make_ticket, billing, agent):
    own = make_ticket(customer=agent, department=billing)
    assert own in Ticket.objects.visible_to(agent)
    assert own not in Ticket.objects.staff_visible_to(agent)


def test_supervisor_sees_supervised_department(ticket, supervisor, make_ticket, billing):
    make_ticket(department=billing)
    assert set(Ticket.objects.staff_visible_to(supervisor)) == {ticket}


def test_superuser_sees_everything(ticket, make_ticket, billing, admin_user):
    make_ticket(department=billing)
    assert Ticket.objects.visible_to(admin_user).count() == 2


def test_inactive_user_sees_nothing(ticket, customer):
    customer.is_active = False
    customer.save()
    assert not Ticket.objects.visible_to(customer).exists()


def test_attachments_follow_message_visibility(ticket, agent, customer, other_customer):
    note = ticket.reply(author=agent, body="note", internal=True, uploads=[png_upload()])
    public = ticket.reply(author=agent, body="public", uploads=[png_upload()])
    note_file, public_file = note.attachments.get(), public.attachments.get()
    assert set(Attachment.objects.visible_to(customer)) == {public_file}
    assert set(Attachment.objects.visible_to(agent)) == {note_file, public_file}
    assert not Attachment.objects.visible_to(other_customer).exists()


def test_one_tickets_messages_follow_the_same_rule_decided_in_python(
    make_ticket, billing, customer, other_customer, agent, other_agent, supervisor, admin_user
):
    """`visible_to(user, ticket)` answers for one ticket without a subquery: for every role it
    must give exactly what the general rule gives for that ticket's messages."""
    theirs = make_ticket()
    staffs_own = make_ticket(customer=other_agent)  # an agent as a customer, in another department
    mixed = make_ticket(department=billing, customer=agent)  # agent is its customer, not its staff
    for ticket in (theirs, staffs_own, mixed):
        ticket.reply(author=agent, body="secret", internal=True, from_staff=True)
        ticket.reply(author=agent, body="public", from_staff=True)
    users = [AnonymousUser(), customer, other_customer, agent, other_agent, supervisor, admin_user]
    for ticket in (theirs, staffs_own, mixed):
        for user in users:
            general = set(Message.objects.visible_to(user).filter(ticket=ticket))
            assert set(ticket.messages.visible_to(user, ticket)) == general, (ticket, user)
            assert set(Message.objects.visible_to(user, ticket)) == general, (ticket, user)
    other_agent.is_active = False
    other_agent.save()
    for ticket in (theirs, staffs_own, mixed):
        assert not ticket.messages.visible_to(other_agent, ticket).exists()
        assert not Message.objects.visible_to(other_agent).filter(ticket=ticket).exists()
