"""Each ticket's search document (TicketSearch), which PostgreSQL's triggers keep: what is written
through any path, the ORM's save, a bulk update, a merge, a delete, must be searchable at once."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from tickets.models import Message, Ticket, TicketSearch

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the search documents are PostgreSQL's"),
]


def has(ticket, word):
    return TicketSearch.objects.filter(pk=ticket.pk, document=SearchQuery(word, config="simple")).exists()


def test_a_new_ticket_has_the_words_of_its_subject_and_first_message(make_ticket):
    ticket = make_ticket(subject="Certificado expirado", body="A loja mostra aviso de segurança")
    assert has(ticket, "certificado") and has(ticket, "loja")
    assert not has(ticket, "boleto")


def test_replies_and_internal_notes_add_their_words(ticket, customer, agent):
    ticket.reply(author=customer, body="Ainda com timeout")
    ticket.reply(author=agent, body="Cliente usa wordpress antigo", internal=True)
    assert has(ticket, "timeout") and has(ticket, "wordpress") and has(ticket, "site")


def test_a_changed_subject_replaces_the_old_words_and_keeps_the_messages(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(subject="Fatura duplicada")
    assert has(ticket, "fatura") and not has(ticket, "fora")
    assert has(ticket, "500")
    ticket.refresh_from_db()
    ticket.subject = "Fatura em atraso"
    ticket.save()
    assert has(ticket, "atraso") and not has(ticket, "duplicada")


def test_edited_and_deleted_messages_take_their_words_along(ticket, customer):
    reply = ticket.reply(author=customer, body="Erro de DNS")
    Message.objects.filter(pk=reply.pk).update(body="Erro de SMTP")
    assert has(ticket, "smtp") and not has(ticket, "dns")
    Message.objects.filter(pk=reply.pk).delete()
    assert not has(ticket, "smtp") and has(ticket, "500")


def test_a_merge_moves_the_words_with_the_messages(make_ticket, agent):
    duplicate = make_ticket(subject="Outra vez", body="Backup falhou")
    target = make_ticket(subject="Site fora do ar")
    duplicate.merge_into(target, by=agent)
    assert has(target, "backup")
    assert not has(duplicate, "backup") and has(duplicate, "outra")


def test_a_deleted_ticket_takes_its_document_along(ticket):
    ticket.delete()
    assert not TicketSearch.objects.filter(pk=ticket.pk).exists()


def test_a_message_past_postgresqls_limit_is_saved_and_the_ticket_keeps_its_words(ticket, customer):
    # 200,000 different words: more than a tsvector may hold (1 MB).
    huge = " ".join(f"w{index}" for index in range(200_000))
    message = ticket.reply(author=customer, body=huge)
    assert Message.objects.filter(pk=message.pk).exists()
    assert has(ticket, "site") and has(ticket, "500")
    # Rebuilt from every message (as an edit does), the document falls back to the subject.
    Message.objects.filter(pk=message.pk).update(body=huge + " w-1")
    assert has(ticket, "site") and not has(ticket, "500")
