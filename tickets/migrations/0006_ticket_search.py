"""One search document per ticket (subject and messages), kept by PostgreSQL triggers.

It replaces migration 0003's two indexes (subjects, message bodies): a queue search checked
each ticket's messages one by one, parsing every body again, or hashed every match of a word.
With one tsvector per ticket, a common word is tested on the tickets in queue order and a rare
one is found through one GIN index (tickets.queue.search_condition).

On other databases the table stays empty: they search with LIKE. The backfill parses every message
once; on a million tickets and five million messages it takes a few minutes.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, models

# The document of the given tickets, built from their rows. to_tsvector refuses text whose
# words would take more than 1 MB: such a ticket is searchable by its subject alone.
FUNCTIONS = """
CREATE FUNCTION tickets_search_document(subject text, bodies text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN to_tsvector('simple', subject) || to_tsvector('simple', coalesce(bodies, ''));
EXCEPTION WHEN program_limit_exceeded THEN
    RETURN to_tsvector('simple', subject);
END $$;

CREATE FUNCTION tickets_search_rebuild(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tickets_ticket_search (ticket_id, document)
    SELECT t.id, tickets_search_document(
        t.subject,
        (SELECT string_agg(m.body, ' ' ORDER BY m.id) FROM tickets_message m WHERE m.ticket_id = t.id)
    )
    FROM tickets_ticket t WHERE t.id = ANY(ids)
    ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document;
$$;

-- A new ticket: its subject (its messages follow).
CREATE FUNCTION tickets_search_ticket_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tickets_ticket_search (ticket_id, document)
    SELECT id, to_tsvector('simple', subject) FROM added
    ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END $$;

CREATE FUNCTION tickets_search_subject_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tickets_search_rebuild(ARRAY(
        SELECT after.id FROM after JOIN before ON before.id = after.id
        WHERE before.subject IS DISTINCT FROM after.subject
    ));
    RETURN NULL;
END $$;

-- New messages: their words are added to their ticket's document, without parsing the others.
CREATE FUNCTION tickets_search_messages_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    one record;
BEGIN
    FOR one IN SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS bodies FROM added GROUP BY ticket_id LOOP
        BEGIN
            UPDATE tickets_ticket_search SET document = document || to_tsvector('simple', one.bodies)
            WHERE ticket_id = one.ticket_id;
            IF NOT FOUND THEN
                PERFORM tickets_search_rebuild(ARRAY[one.ticket_id]);
            END IF;
        EXCEPTION WHEN program_limit_exceeded THEN
            NULL;  -- the ticket's document is full: it keeps the words it has
        END;
    END LOOP;
    RETURN NULL;
END $$;

-- Messages edited, moved to another ticket (a merge) or deleted: their tickets are rebuilt.
CREATE FUNCTION tickets_search_messages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM tickets_search_rebuild(ARRAY(
            SELECT before.ticket_id FROM before JOIN after ON after.id = before.id
            WHERE before.ticket_id <> after.ticket_id OR before.body IS DISTINCT FROM after.body
            UNION
            SELECT after.ticket_id FROM before JOIN after ON after.id = before.id
            WHERE before.ticket_id <> after.ticket_id OR before.body IS DISTINCT FROM after.body
        ));
    ELSE
        PERFORM tickets_search_rebuild(ARRAY(SELECT DISTINCT ticket_id FROM before));
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER tickets_search_ticket_added AFTER INSERT ON tickets_ticket
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_ticket_added();
CREATE TRIGGER tickets_search_subject_changed AFTER UPDATE ON tickets_ticket
    REFERENCING OLD TABLE AS before NEW TABLE AS after
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_subject_changed();
CREATE TRIGGER tickets_search_messages_added AFTER INSERT ON tickets_message
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_messages_added();
CREATE TRIGGER tickets_search_messages_changed AFTER UPDATE ON tickets_message
    REFERENCING OLD TABLE AS before NEW TABLE AS after
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_messages_changed();
CREATE TRIGGER tickets_search_messages_deleted AFTER DELETE ON tickets_message
    REFERENCING OLD TABLE AS before FOR EACH STATEMENT EXECUTE FUNCTION tickets_search_messages_changed();
"""

# The documents of every ticket from `first_id` on, in one statement: this migration builds all,
# seed_bench those it has just loaded (with the triggers off).
BACKFILL = """
CREATE FUNCTION tickets_search_backfill(first_id bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tickets_ticket_search (ticket_id, document)
    SELECT t.id, tickets_search_document(t.subject, m.bodies)
    FROM tickets_ticket t
    LEFT JOIN (
        SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS bodies
        FROM tickets_message WHERE ticket_id >= first_id GROUP BY ticket_id
    ) m ON m.ticket_id = t.id
    WHERE t.id >= first_id
    ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document;
$$;
SELECT tickets_search_backfill(0);
"""

CREATE = [
    # On delete, the database removes a ticket's document with it (Django leaves the table alone).
    "ALTER TABLE tickets_ticket_search ADD CONSTRAINT tickets_ticket_search_ticket "
    "FOREIGN KEY (ticket_id) REFERENCES tickets_ticket (id) ON DELETE CASCADE",
    FUNCTIONS,
    TRIGGERS,
    BACKFILL,
    # A GIN index builds much faster with memory to sort in (for this transaction only).
    "SET LOCAL maintenance_work_mem = '512MB'",
    "CREATE INDEX tickets_ticket_search_document ON tickets_ticket_search USING gin (document)",
    "DROP INDEX IF EXISTS ticket_subject_fts",
    "DROP INDEX IF EXISTS message_body_fts",
]

DROP = [
    "ALTER TABLE tickets_ticket_search DROP CONSTRAINT IF EXISTS tickets_ticket_search_ticket",
    "DROP TRIGGER IF EXISTS tickets_search_ticket_added ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_search_subject_changed ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_search_messages_added ON tickets_message",
    "DROP TRIGGER IF EXISTS tickets_search_messages_changed ON tickets_message",
    "DROP TRIGGER IF EXISTS tickets_search_messages_deleted ON tickets_message",
    "DROP FUNCTION IF EXISTS tickets_search_ticket_added()",
    "DROP FUNCTION IF EXISTS tickets_search_subject_changed()",
    "DROP FUNCTION IF EXISTS tickets_search_messages_added()",
    "DROP FUNCTION IF EXISTS tickets_search_messages_changed()",
    "DROP FUNCTION IF EXISTS tickets_search_backfill(bigint)",
    "DROP FUNCTION IF EXISTS tickets_search_rebuild(bigint[])",
    "DROP FUNCTION IF EXISTS tickets_search_document(text, text)",
    "CREATE INDEX IF NOT EXISTS ticket_subject_fts ON tickets_ticket USING gin (to_tsvector('simple', subject))",
    "CREATE INDEX IF NOT EXISTS message_body_fts ON tickets_message USING gin (to_tsvector('simple', body))",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_queue_keyset_indexes")]

    operations = [
        migrations.CreateModel(
            name="TicketSearch",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                ("document", SearchVectorField()),
            ],
            options={"db_table": "tickets_ticket_search"},
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
