"""The restore drill in CI: a throwaway primary archiving into an encrypted pgBackRest repository,
writes through the app, a point-in-time restore into a new cluster, and the app pointed at it
(ops.testing.restore_drill). The machine's own PostgreSQL cluster is only read (pg_dump of the
test database); every cluster the drill starts is stopped and deleted."""

import shutil
import subprocess

import pytest
from django.conf import settings as django_settings
from django.db import connections

from billing.tests.conftest import webhook_endpoint  # noqa: F401 (fixture)
from core.testing.pitr import Drill
from core.testing.replica import ReplicaUnavailable
from ops.testing import restore_drill

pytestmark = [
    pytest.mark.postgres(
        reason="a point-in-time restore is PostgreSQL's WAL archive (run with DATABASE_URL=postgres://...)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def drill(roadmap, webhook_endpoint):  # noqa: F811 (the copy of the test database holds them)
    if not shutil.which("pgbackrest"):
        pytest.skip("pgBackRest is not installed (Debian's pgbackrest package)")
    drill = Drill()
    try:
        drill.start()
        source = connections["default"].settings_dict
        drill.primary_load(f"postgres://{source['USER']}@{source['HOST']}:{source['PORT']}/{source['NAME']}", "app")
        drill.repository.backup("full")
    except (ReplicaUnavailable, subprocess.CalledProcessError) as error:
        drill.destroy()
        raise AssertionError(f"the drill could not start: {getattr(error, 'stderr', error)}") from error
    yield drill
    drill.destroy()


@pytest.fixture
def traffic(roadmap, emulator, webhook_endpoint, settings, tmp_path):  # noqa: F811
    settings.EMAIL_SEND_LEDGER = str(tmp_path / "email-send-ledger.sqlite3")
    price = emulator.get(django_settings.STRIPE_PRICES[("pro", "month")])
    return restore_drill.AppTraffic(history=restore_drill.History(), emulator=emulator, webhook=webhook_endpoint,
                                    task_id=roadmap[1].pk, price=price)


def test_a_restore_to_a_time_has_everything_before_it_and_nothing_after(drill, traffic):
    report = restore_drill.run(drill, traffic, dbname="app")

    assert report.after_target >= 9  # the drill wrote on both sides of the target
    assert sum(map(len, report.expected.values())) >= 18
    assert report.found == report.expected  # every commit before the target, none after
    assert report.breaches == []  # audit_integrity is clean on the restored database
    assert report.payments_recorded_by_reconcile == 1  # the lost invoice.paid, from Stripe
    assert report.emails_held_back >= 3  # the restored jobs of the emails sent after the target...
    assert report.emails_twice == {}  # ... found their sends in the ledger
    assert report.redelivery_payments == 1  # Stripe's late redelivery changes nothing
    print(f"restore drill: restored to {report.target.isoformat()} and started in {report.restore_seconds:.1f} s")
