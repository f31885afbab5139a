"""Full-text search indexes for the staff queue, on PostgreSQL only (SQLite searches with LIKE)."""

from django.db import migrations

# 'simple' config: no stemming, so Portuguese and English text and e-mail words both match as typed.
CREATE = [
    "CREATE INDEX IF NOT EXISTS ticket_subject_fts ON tickets_ticket USING gin (to_tsvector('simple', subject))",
    "CREATE INDEX IF NOT EXISTS message_body_fts ON tickets_message USING gin (to_tsvector('simple', body))",
]
DROP = ["DROP INDEX IF EXISTS ticket_subject_fts", "DROP INDEX IF EXISTS message_body_fts"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_sla_outbox_inbound_canned")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
