"""The database cache's table (the throttle counters' home when no REDIS_URL is set), made by
migrate so that every database that runs the app has it (createcachetable is idempotent)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_catalogueversion")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
