"""The throughput benchmarks' own PostgreSQL database: created if missing, then migrated."""


def ensure_database():
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings_dict["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    call_command("migrate", verbosity=0)
