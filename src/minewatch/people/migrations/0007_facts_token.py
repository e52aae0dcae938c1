# The token that tells a process its in-memory holder facts are stale (people/facts.py).
#
# A table and triggers in SQL, not a model: it is a signal between the database and the
# processes' caches, not data. Backups, restores and ``flush`` leave it alone (they handle
# models), and the triggers replace the token whenever they rewrite the tables it watches.

from django.db import migrations

WATCHED = ("person", "peoplesettings", "vettingrecord", "trainingrecord", "licence",
           "assignment", "credential")  # fmt: skip


def _tables(apps):
    return [apps.get_model("people", name)._meta.db_table for name in WATCHED]


def create(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("CREATE TABLE people_facts_token (id integer PRIMARY KEY, token varchar(36) NOT NULL)")
        execute("INSERT INTO people_facts_token (id, token) VALUES (1, gen_random_uuid()::text)")
        execute(
            "CREATE FUNCTION people_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO people_facts_token (id, token) VALUES (1, gen_random_uuid()::text) "
            "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token; RETURN NULL; END $$"
        )
        for table in _tables(apps):
            # One per statement: a bulk insert of thousands of rows replaces the token once.
            execute(
                f'CREATE TRIGGER people_facts_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION people_facts_changed()'
            )
        return
    execute("CREATE TABLE people_facts_token (id integer PRIMARY KEY, token varchar(36) NOT NULL)")
    execute("INSERT INTO people_facts_token (id, token) VALUES (1, lower(hex(randomblob(16))))")
    for table in _tables(apps):
        for operation in ("INSERT", "UPDATE", "DELETE"):  # SQLite triggers are per row only
            execute(
                f'CREATE TRIGGER "people_facts_{table}_{operation.lower()}" AFTER {operation} '
                f'ON "{table}" BEGIN INSERT OR REPLACE INTO people_facts_token (id, token) '
                f"VALUES (1, lower(hex(randomblob(16)))); END"
            )


def drop(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for table in _tables(apps):
            execute(f'DROP TRIGGER IF EXISTS people_facts_changed ON "{table}"')
        execute("DROP FUNCTION IF EXISTS people_facts_changed()")
    else:
        for table in _tables(apps):
            for operation in ("insert", "update", "delete"):
                execute(f'DROP TRIGGER IF EXISTS "people_facts_{table}_{operation}"')
    execute("DROP TABLE IF EXISTS people_facts_token")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_retention_periods"),
    ]

    operations = [migrations.RunPython(create, drop)]
