import datetime

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Enrollment, User
from accounts.tests.factories import CreatorFactory
from core import db_router
from core.testing.api import api_client_for

BOTH = ["default", "replica_1"]


@pytest.fixture
def replicas(settings):
    settings.DATABASE_REPLICAS = ["replica_1"]
    token = db_router.unpin()
    yield
    db_router.reset(token)


def _queries(alias):
    return CaptureQueriesContext(connections[alias])


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_reads_go_to_the_replica_until_the_context_writes(replicas):
    router = db_router.ReplicaRouter()
    assert router.db_for_read(User) == "replica_1"

    with transaction.atomic():
        assert router.db_for_read(User) == "default"  # inside a transaction: the primary

    User.objects.create(email="writer@example.com")  # a write pins this context
    assert router.db_for_read(User) == "default"


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_request_reads_the_replica_and_after_a_write_the_primary(replicas, roadmap):
    creator = CreatorFactory()
    Enrollment.objects.filter(user=creator).update(started_on=datetime.date.today())
    api = api_client_for(creator)

    with _queries("replica_1") as replica, _queries("default") as primary:
        assert api.get("/api/v1/roadmap").status_code == 200
    assert len(replica) >= 4 and len(primary) == 0  # a read-only request never touches the primary

    with _queries("replica_1") as replica, _queries("default") as primary:
        assert api.post(f"/api/v1/tasks/{roadmap[1].pk}/complete").status_code == 201
    # Authentication reads from the replica before anything is written; the completion and
    # everything after it run on the primary.
    assert any("INSERT" in q["sql"] for q in primary.captured_queries)
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for q in replica.captured_queries)


def test_without_replicas_everything_uses_the_primary(settings):
    settings.DATABASE_REPLICAS = []
    assert db_router.ReplicaRouter().db_for_read(User) == "default"


def test_jobs_and_commands_read_the_primary(settings):
    """Outside a request nothing is unpinned: an email job reads what the transaction that
    enqueued it wrote, and db_worker claims its jobs (SELECT ... FOR UPDATE inside a transaction
    on the alias a read of the queue chooses) on the primary. With replicas read here (planted),
    the scaled-out fault run's workers failed every claim ("select_for_update cannot be used
    outside of a transaction") and a lagging replica would make a job skip its email."""
    from django_tasks_db.models import DBTaskResult

    settings.DATABASE_REPLICAS = ["replica_1"]
    assert db_router.ReplicaRouter().db_for_read(User) == "default"
    assert DBTaskResult.objects.ready().db == "default"
