"""The PostgreSQL connection prepares the queries it runs again and again (helpdesk/settings.py)."""

import pytest
from django.db import connection

from tickets.models import Ticket

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"),
    pytest.mark.django_db,
]


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_query_run_twice_is_prepared_and_its_parameters_stay_apart(ticket):
    for _ in range(3):
        assert Ticket.objects.filter(reference=ticket.reference).get() == ticket
    statements = [statement for statement in _prepared() if '"tickets_ticket"."reference" = $1' in statement]
    assert statements, "the repeated query is not prepared"
    assert str(ticket.reference) not in statements[0]
