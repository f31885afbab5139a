from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.ticket import Ticket


class TicketSearch(models.Model):
    """A ticket's words, its subject's and every message's (internal notes included), as one
    tsvector: what the staff queue searches on PostgreSQL.

    PostgreSQL keeps it, not Django: triggers (migration tickets/0006) add a row with each new
    ticket, add each new message's words to it, and rebuild it when a subject changes or
    messages are edited, moved (a merge) or deleted. On other databases the table stays empty:
    they search with LIKE (tickets.queue.search_condition).
    """

    ticket = models.OneToOneField(
        Ticket,
        primary_key=True,
        # PostgreSQL removes the row with its ticket (its own foreign key, migration tickets/0006).
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("ticket"),
    )
    document = SearchVectorField()

    class Meta:
        db_table = "tickets_ticket_search"

    def __str__(self):
        return str(self.document)
