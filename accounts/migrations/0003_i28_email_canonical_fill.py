"""Fill the canonical address and skeleton of every account (accounts.emails). Accounts whose
address collides with an older account's (one canonical form: the look-alike signups the old
case-insensitive index let through; or one skeleton) get a collision marker instead: the older
account keeps its address, the newer one stops signing in by address until ops settle it, and
`manage.py email_collisions` lists every such pair."""

from django.db import migrations

from accounts.emails import collision_marker, email_canonical, email_skeleton


def fill(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    seen_canonical, seen_skeleton, users = set(), set(), []
    for user in User.objects.using(schema_editor.connection.alias).order_by("pk").only("pk", "email"):
        canonical, skeleton = email_canonical(user.email), email_skeleton(user.email)
        if canonical in seen_canonical or skeleton in seen_skeleton:
            canonical = skeleton = collision_marker(user.pk)
        else:
            seen_canonical.add(canonical)
            seen_skeleton.add(skeleton)
        user.email_canonical, user.email_skeleton = canonical, skeleton
        users.append(user)
    User.objects.using(schema_editor.connection.alias).bulk_update(
        users, ["email_canonical", "email_skeleton"], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_i28_email_canonical_fields")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
