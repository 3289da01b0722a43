from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_i28_email_canonical_fill")]

    operations = [
        migrations.RemoveConstraint(model_name="user", name="accounts_user_email_ci_unique"),
        migrations.AlterField(
            model_name="user", name="email_canonical", field=models.CharField(editable=False, max_length=254),
        ),
        migrations.AlterField(
            model_name="user", name="email_skeleton", field=models.CharField(editable=False, max_length=254),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(fields=["email_canonical"], name="accounts_user_email_canonical_unique"),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(fields=["email_skeleton"], name="accounts_user_email_skeleton_unique"),
        ),
    ]
