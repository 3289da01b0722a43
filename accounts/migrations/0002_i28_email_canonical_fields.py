from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user", name="email_canonical",
            field=models.CharField(editable=False, max_length=254, null=True),
        ),
        migrations.AddField(
            model_name="user", name="email_skeleton",
            field=models.CharField(editable=False, max_length=254, null=True),
        ),
    ]
