import uuid

from django.db import migrations, models


def first_version(apps, schema_editor):
    apps.get_model("core", "CatalogueVersion").objects.create(pk=1, token=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_jobretry")]

    operations = [
        migrations.CreateModel(
            name="CatalogueVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
