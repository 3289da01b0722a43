"""Data export (GDPR art. 20): one snapshot, a ZIP of JSON and CSVs, an expiring link, no quota."""

import csv
import datetime
import io
import json
import re
import threading
import zipfile

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import DataExport, Enrollment
from accounts.tests.factories import CreatorFactory
from core.testing.jobs import run_queued_jobs
from tasks.services.completion import task_complete
from tasks.services.ideas import idea_create
from usage.models import UsageCounter


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory(email="ex@example.com", display_name="Ex", platform="youtube", timezone="Europe/Paris")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    task_complete(user=user, task_id=roadmap[1].pk, quality=5, notes="shot it, \"first\" try")
    idea_create(user=user, title="Behind the scenes", notes="b-roll")
    run_queued_jobs()
    mail.outbox.clear()
    return user


def _download(client):
    run_queued_jobs()
    [message] = mail.outbox
    path = re.search(r"http://testserver(/settings/export/\S+/)", message.body).group(1)
    return path, client.get(path)


@pytest.mark.django_db
def test_the_emailed_link_downloads_everything_as_json_and_csvs(creator):
    browser = Client()
    browser.force_login(creator)
    counters_before = list(UsageCounter.objects.filter(user=creator).values_list("feature", "used"))

    assert browser.post("/settings/export/").status_code == 302
    path, response = _download(browser)

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"data.json", "profile.csv", "completions.csv", "ideas.csv", "achievements.csv", "usage.csv",
            "payments.csv", "enrollments.csv"} <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["email"] == "ex@example.com" and data["profile"]["timezone"] == "Europe/Paris"
    assert data["profile"]["email_preferences"] == {"milestones": True, "reminders": True, "news": False}
    [completion] = data["completions"]
    assert (completion["quality"], completion["notes"]) == (5, 'shot it, "first" try')
    assert [idea["title"] for idea in data["ideas"]] == ["Behind the scenes"]
    assert data["achievements"] and data["usage"]
    rows = list(csv.DictReader(io.StringIO(archive.read("completions.csv").decode())))
    assert rows[0]["notes"] == 'shot it, "first" try'
    # Not metered: the counters are what they were.
    assert list(UsageCounter.objects.filter(user=creator).values_list("feature", "used")) == counters_before

    other = Client()
    other.force_login(CreatorFactory(email="other@example.com"))
    assert other.get(path).status_code == 404  # someone else's link
    assert Client().get(path).status_code == 302  # signed out: the login page


@pytest.mark.django_db
def test_an_expired_link_is_404(creator):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=creator).key}")
    assert api.post("/api/v1/me/export").status_code == 202
    browser = Client()
    browser.force_login(creator)
    run_queued_jobs()
    export = DataExport.objects.get(user=creator)
    path = f"/settings/export/{export.token}/"
    assert browser.get(path).status_code == 200
    DataExport.objects.filter(pk=export.pk).update(expires_at=export.ready_at - datetime.timedelta(seconds=1))
    assert browser.get(path).status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_the_snapshot_does_not_see_a_completion_committed_while_it_reads(roadmap, monkeypatch):
    from django.db import connection

    from ops import export

    user = CreatorFactory(email="snap@example.com", platform="youtube")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=1))
    task_complete(user=user, task_id=roadmap[1].pk)
    rows, committed = export._rows, []

    def rows_then_complete_elsewhere(queryset, fields):
        if not committed:  # after the profile and stats were read, before the completions
            def complete():
                try:
                    task_complete(user=user, task_id=roadmap[2].pk)
                finally:
                    connection.close()

            thread = threading.Thread(target=complete)
            thread.start()
            thread.join()
            committed.append(True)
        return rows(queryset, fields)

    monkeypatch.setattr(export, "_rows", rows_then_complete_elsewhere)
    snapshot = export.export_snapshot(user_id=user.pk)

    assert committed and snapshot["profile"]["stats"]["tasks_completed"] == len(snapshot["completions"]) == 1
