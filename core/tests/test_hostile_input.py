"""The attacker's probe of issue 14, case by case: control characters and NUL bytes (a 500 on
PostgreSQL), numbers that do not parse, open redirects, unbounded metric labels, escaped plain-
text emails, display names, JSON errors on API paths and deactivated creators' share pages."""

import datetime

import pytest
from django.core import mail
from django.test import Client

from accounts.models import CreatorProfile, Enrollment, User
from accounts.tests.factories import CreatorFactory, signup_payload
from core.errors import InvalidInput
from core.metrics import REQUESTS
from core.testing.api import api_client_for
from core.testing.jobs import run_queued_jobs
from milestones.models import MilestoneAchievement
from milestones.services import achievement_share
from tasks.models import ContentIdea, TaskCompletion
from tasks.services.completion import task_complete


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory(email="kai@example.com", display_name="Kai")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    return user


def _bad_field(response):
    return response.context["field"] if response.context else response.json()["error"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_an_idea_title_is_400_naming_it_and_saves_nothing(browser, char):
    response = browser.post("/ideas/", {"title": f"My{char}idea", "notes": ""})

    assert response.status_code == 400 and _bad_field(response) == "title"
    assert f"U+{ord(char):04X}" in response.content.decode()
    assert not ContentIdea.objects.exists()


@pytest.mark.django_db
def test_tabs_and_line_breaks_stay_allowed_in_notes(browser):
    response = browser.post("/ideas/", {"title": "Idea", "notes": "line one\r\n\tline two"})
    assert response.status_code == 302 and ContentIdea.objects.get().notes == "line one\r\n\tline two"


@pytest.mark.django_db
def test_a_nul_in_completion_notes_is_400_and_completes_nothing(browser, roadmap):
    response = browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"quality": "4", "notes": "done\x00"})
    assert response.status_code == 400 and _bad_field(response) == "notes"
    assert not TaskCompletion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("quality", ["²", "9" * 4301, "-1", "6", "1.5", " "])
def test_a_quality_that_is_no_small_number_is_a_form_error_not_a_500(browser, roadmap, quality):
    response = browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"quality": quality}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "quality" in response.content.decode()
    assert response["HX-Retarget"] == f"#task-{roadmap[1].pk}-feedback"
    assert not TaskCompletion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("task", ["²", "9" * 4301, "99999999999999999999", "-3"])
def test_a_task_that_is_no_id_on_the_idea_forms_is_a_form_error(browser, task):
    created = browser.post("/ideas/", {"title": "Idea", "task": task}, HTTP_HX_REQUEST="true")
    assert created.status_code == 200 and "task" in created.content.decode() and not ContentIdea.objects.exists()

    browser.post("/ideas/", {"title": "Kept"})
    idea = ContentIdea.objects.get()
    edited = browser.post(f"/ideas/{idea.pk}/edit/", {"title": "Changed", "task": task})
    assert edited.status_code == 200 and ContentIdea.objects.get().title == "Kept"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/m/%00", "/m/abc%00def", "/m/%0a", "/ideas/%00/"])
def test_a_control_character_in_a_path_is_400_for_anyone(path):
    response = Client().get(path)
    assert response.status_code == 400 and response.context["field"] == "path"


@pytest.mark.django_db
def test_delete_enrollment_with_a_nul_is_400_in_the_envelope(creator):
    response = api_client_for(creator).delete("/api/v1/enrollments/%00")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid", "message": "Some fields are not valid.",
                                        "fields": {"path": ["Remove the control character U+0000: it is not allowed here."]}}


@pytest.mark.django_db
def test_a_control_character_in_json_is_400_naming_the_field(creator):
    response = api_client_for(creator).post("/api/v1/ideas", {"title": "ok", "notes": "bell\x07"}, format="json")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["notes"]
    assert not ContentIdea.objects.exists()


@pytest.mark.django_db
def test_a_control_character_in_a_query_parameter_is_400(browser):
    response = browser.get("/roadmap/", {"platform": "youtube\x00"})
    assert response.status_code == 400 and _bad_field(response) == "platform"


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["//evil.example/x", "https://evil.example/x", "javascript:alert(1)", "\\\\evil.example"])
def test_next_after_completing_a_task_never_leaves_the_site(browser, roadmap, next_url):
    response = browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"quality": "4", "next": next_url})
    assert response.status_code == 302 and response.url == "/dashboard/"


@pytest.mark.django_db
def test_next_on_the_site_is_followed(browser, roadmap):
    response = browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"next": "/roadmap/?platform=youtube"})
    assert response.url == "/roadmap/?platform=youtube"


@pytest.mark.django_db
def test_the_login_next_is_checked_too(creator):
    from accounts.tests.factories import DEFAULT_PASSWORD

    response = Client().post("/login/?next=//evil.example/x", {"username": creator.email, "password": DEFAULT_PASSWORD})
    assert response.url == "/dashboard/"


@pytest.mark.django_db
def test_made_up_http_methods_share_one_metric_label():
    for method in ("FOO", "BAR", "XYZZY"):
        Client().generic(method, "/healthz")
    labels = {sample.labels["method"] for metric in REQUESTS.collect() for sample in metric.samples
              if sample.labels.get("route") == "healthz"}
    assert "other" in labels and not labels & {"FOO", "BAR", "XYZZY"}


@pytest.mark.django_db
def test_plain_text_emails_are_not_html_escaped(roadmap):
    CreatorFactory(email="tom@example.com", display_name='Tom & "Jerry"')
    run_queued_jobs()
    [verify] = [m for m in mail.outbox if m.to == ["tom@example.com"]]
    User.objects.filter(email="tom@example.com").update(email_verified_at=None)
    from accounts.services import email_verify
    from accounts.tokens import verification_token_make

    email_verify(token=verification_token_make(User.objects.get(email="tom@example.com")))
    run_queued_jobs()
    [welcome] = [m for m in mail.outbox if "Welcome" in m.subject]

    assert welcome.subject == 'Welcome to CreatorCompass, Tom & "Jerry"'
    assert 'Hi Tom & "Jerry",' in welcome.body and "&amp;" not in welcome.body + verify.body
    assert "Tom &amp; &quot;Jerry&quot;" in welcome.alternatives[0][0]  # the HTML part stays escaped


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Line\nbreak", "Tab\there", "Bidi\u202eevil", "Isolate\u2066x", "Zero\u200bwidth", "Nul\x00"])
def test_display_names_must_be_one_line_of_plain_text(roadmap, name):
    from accounts.services import profile_update

    response = Client().post("/api/v1/auth/signup", signup_payload(display_name=name), content_type="application/json")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["display_name"]
    creator = CreatorFactory(email="someone@example.com")
    patched = api_client_for(creator).patch("/api/v1/me", {"display_name": name}, format="json")
    assert patched.status_code == 400
    with pytest.raises(InvalidInput):
        profile_update(user=User.objects.get(email="someone@example.com"), display_name=name)
    assert not User.objects.filter(email=signup_payload()["email"]).exists()


@pytest.mark.django_db
def test_a_stored_name_with_a_newline_cannot_break_the_welcome_email(roadmap):
    """Names stored before the rule (the API used to accept a newline): the subject is made one
    line, so the job does not fail for good with BadHeaderError."""
    user = CreatorFactory(email="old@example.com")
    CreatorProfile.objects.filter(user=user).update(display_name="Old\nName")
    from accounts import jobs

    run_queued_jobs()
    assert jobs.send_welcome_email.call(user.pk) == "sent"
    [welcome] = [m for m in mail.outbox if "Welcome" in m.subject]
    assert welcome.subject == "Welcome to CreatorCompass, Old Name"


@pytest.mark.django_db
def test_an_oversized_body_on_the_api_is_the_json_envelope(creator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client_for(creator).post("/api/v1/ideas", {"title": "x" * 5000}, format="json")
    assert response.status_code in (400, 413) and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] in ("malformed_request", "invalid")


@pytest.mark.django_db
def test_an_oversized_form_on_a_page_is_a_400_page(browser, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = browser.post("/ideas/", {"title": "x" * 5000})
    assert response.status_code == 400 and not ContentIdea.objects.exists()


@pytest.mark.django_db
def test_csrf_failure_on_an_api_path_is_the_json_envelope():
    response = Client(enforce_csrf_checks=True).post("/api/v1/nowhere", {"a": "b"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_a_deactivated_creators_share_page_is_404(creator, roadmap):
    task_complete(user=creator, task_id=roadmap[1].pk)
    achievement = MilestoneAchievement.objects.get(user=creator)
    achievement_share(user=creator, milestone_id=achievement.milestone_id)
    token = MilestoneAchievement.objects.get(pk=achievement.pk).share_token
    assert Client().get(f"/m/{token}").status_code == 200

    User.objects.filter(pk=creator.pk).update(is_active=False)

    assert Client().get(f"/m/{token}").status_code == 404


@pytest.mark.django_db
def test_planted_no_control_character_check_lets_a_nul_through(browser, settings):
    """The defect planted back (the middleware removed): the NUL reaches the service. On SQLite
    the idea is saved with it; on PostgreSQL the database refuses it (the old 500)."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "core.middleware.ControlCharacterMiddleware"]
    try:
        status = browser.post("/ideas/", {"title": "My\x00idea"}).status_code
    except Exception:  # noqa: BLE001 - PostgreSQL: "A string literal cannot contain NUL"
        status = 500
    assert status != 400


@pytest.mark.django_db
def test_planted_unchecked_next_is_followed_off_site(browser, roadmap, monkeypatch):
    """The defect planted back (`next` used as given): the redirect test above would fail."""
    monkeypatch.setattr("tasks.views.safe_next", lambda request, url, default: url or default)
    response = browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"next": "//evil.example/x"})
    assert response.url == "//evil.example/x"


@pytest.mark.django_db
def test_planted_raw_method_label_creates_a_series_per_made_up_method(monkeypatch):
    monkeypatch.setattr("core.metrics.method_label", lambda method: method)
    Client().generic("PLANTED", "/healthz")
    labels = {sample.labels["method"] for metric in REQUESTS.collect() for sample in metric.samples}
    assert "PLANTED" in labels


@pytest.mark.django_db
def test_planted_escaping_text_engine_shows_the_old_subject(roadmap, monkeypatch):
    from django.template import engines

    monkeypatch.setattr("core.email._render_text", lambda name, context: engines["django"].get_template(name).render(context))
    user = CreatorFactory(email="tom@example.com", display_name='Tom & "Jerry"')
    from accounts import jobs

    run_queued_jobs()
    jobs.send_welcome_email.call(user.pk)
    [welcome] = [m for m in mail.outbox if "Welcome" in m.subject]
    assert welcome.subject == "Welcome to CreatorCompass, Tom &amp; &quot;Jerry&quot;"


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["0", "dashboard", "roadmap", "x.y"])
def test_a_next_that_looks_like_a_view_name_is_not_resolved(browser, roadmap, next_url):
    """Found by the form fuzz: `next=0` passed the host check and redirect() took it for a view
    name (NoReverseMatch, a 500)."""
    response = browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"quality": "9", "next": next_url})
    assert response.status_code == 302 and response.url == "/dashboard/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/login/", "/signup/", "/api/v1/docs", "/m/no-such-token", "/healthz", "/m/%00",
                                  "/admin/login/", "/no-such-page/", "/api/v1/me", "/static/css/app.css"])
def test_every_response_carries_the_content_security_policy(path):
    """Its frame-ancestors 'none' is the only clickjacking defence (no X-Frame-Options). Planted
    defect: the directive dropped from the settings: every case fails."""
    policy = Client().get(path)["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("style-src-attr")[0] and "unsafe-eval" not in policy
