"""core.page_errors through real pages: a domain error becomes the 404, the message and redirect,
the rendered page or the htmx fragment its view declares; and no views module catches a domain
error by hand."""

import ast
import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import RequestFactory

from accounts.models import Enrollment
from accounts.tokens import verification_token_make
from core.errors import Conflict
from core.page_errors import page_errors
from milestones.models import Milestone
from tasks.models import ContentIdea, TaskCompletion
from tasks.services import ideas
from usage.tests.factories import creator_on

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def creator(roadmap):
    user = creator_on("free", platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=4))
    return user


def messages_on(response):
    return [str(message) for message in response.context["messages"]]


# --- NotFound is a 404 where the view declares it ----------------------------------------------

@pytest.mark.django_db
def test_not_found_is_a_404_with_htmx_or_without(browser, creator):
    theirs = ideas.idea_create(user=creator_on("free", platform="youtube"), title="Not yours")
    not_achieved = Milestone.objects.get(code="tasks-1")

    assert browser.get(f"/ideas/{theirs.pk}/edit/").status_code == 404
    assert browser.post(f"/ideas/{theirs.pk}/delete/", **HTMX).status_code == 404
    assert browser.post(f"/milestones/{not_achieved.pk}/share/").status_code == 404
    assert browser.post("/celebrations/999999/seen/", **HTMX).status_code == 404
    assert ContentIdea.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_not_found_where_the_view_declares_a_page_is_that_page(client, creator):
    token = verification_token_make(creator)
    creator.delete()

    response = client.get(f"/verify/{token}/")

    assert response.status_code == 400 and "This account no longer exists." in response.content.decode()
    assert [t.name for t in response.templates][0] == "accounts/verify_failed.html"


# --- a message on the page redirected to ----------------------------------------------------------

@pytest.mark.django_db
def test_a_refusal_without_htmx_is_the_message_on_the_page_redirected_to(browser, creator):
    left = browser.post("/roadmap/platforms/leave/", {"platform": "youtube"}, follow=True)
    bad_format = browser.post("/roadmap/export/", {"format": "pdf", "platform": "youtube"}, follow=True)
    completed = browser.post("/roadmap/tasks/999999/complete/", {"next": "/roadmap/?platform=youtube"}, follow=True)
    not_followed = browser.post("/roadmap/export/", {"format": "csv", "platform": "tiktok"})

    assert left.redirect_chain == [("/roadmap/", 302)]
    assert messages_on(left) == ["This is the platform you signed up with: its roadmap cannot be left."]
    # Redirects a callable gives: back to `next`, or to the roadmap the export was asked from
    # (the plain roadmap when the form was not valid).
    assert completed.redirect_chain == [("/roadmap/?platform=youtube", 302)] and len(messages_on(completed)) == 1
    assert bad_format.redirect_chain == [("/roadmap/", 302)]
    assert messages_on(bad_format) == ["format: Select a valid choice. pdf is not one of the available choices."]
    assert not_followed.status_code == 302 and not_followed.url == "/roadmap/?platform=tiktok"
    assert Enrollment.objects.filter(user=creator).count() == 1 and not TaskCompletion.objects.exists()


@pytest.mark.django_db
def test_a_refusal_may_redirect_without_a_message(browser):
    response = browser.get("/roadmap/", {"platform": "tiktok"}, follow=True)
    assert response.redirect_chain == [("/roadmap/", 302)] and messages_on(response) == []


# --- an htmx fragment where the view renders one -------------------------------------------------

@pytest.mark.django_db
def test_a_refusal_with_htmx_is_the_fragment_beside_the_form(browser, creator, roadmap):
    locked = browser.post(f"/roadmap/tasks/{roadmap[31].pk}/complete/", **HTMX)
    blank = browser.post("/ideas/", {"title": " ", "task": ""}, **HTMX)

    assert locked.status_code == 200 and [t.name for t in locked.templates][0] == "tasks/_task_error.html"
    assert locked["HX-Retarget"] == f"#task-{roadmap[31].pk}-feedback" and locked["HX-Reswap"] == "innerHTML"
    assert "Day 31 is part of the 90-day roadmap on a paid plan" in locked.content.decode()
    assert blank["HX-Retarget"] == "#idea-form-error" and "Give your idea a title." in blank.content.decode()
    assert 'hx-swap-oob="true"' in blank.content.decode()  # the meters the fragment's context adds
    assert not TaskCompletion.objects.exists() and not ContentIdea.objects.exists()


@pytest.mark.django_db
def test_a_refusal_of_an_edit_shows_the_form_again_with_the_error(browser, creator):
    idea = ideas.idea_create(user=creator, title="Kept")

    fragment = browser.post(f"/ideas/{idea.pk}/edit/", {"title": " "}, **HTMX)
    page = browser.post(f"/ideas/{idea.pk}/edit/", {"title": " "})

    assert fragment.status_code == 200 and [t.name for t in fragment.templates][0] == "tasks/_idea_form.html"
    assert page.status_code == 200 and [t.name for t in page.templates][0] == "tasks/idea_edit.html"
    for response in (fragment, page):
        assert "Give your idea a title." in response.content.decode() and 'value="Kept"' in response.content.decode()
    assert ContentIdea.objects.get(pk=idea.pk).title == "Kept"


def test_an_error_the_view_does_not_declare_propagates():
    @page_errors(not_found=True)
    def view(request):
        raise Conflict("Not mapped here.")

    with pytest.raises(Conflict):
        view(RequestFactory().post("/", **HTMX))


# --- nobody catches a domain error by hand ---------------------------------------------------------

def _project_sources():
    root = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(root) and ".venv" not in path.parts:
            yield from (source for source in path.rglob("*.py") if "tests" not in source.parts)


def _domain_error_names(trees):
    """DomainError and every class deriving from it, in any app (tasks' MainPlatform too)."""
    names = {"DomainError"}
    classes = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    while True:
        found = {c.name for c in classes if any(_name(base) in names for base in c.bases)} - names
        if not found:
            return names
        names |= found


def _name(node):
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)


def _caught(handler):
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {_name(node) for node in types if node is not None}


def _is_views_module(source):
    return source.name == "views.py" or source.name.endswith("_views.py") or "views" in source.parent.parts[-1:]


def test_no_views_module_catches_a_domain_error_by_hand():
    sources = {source: ast.parse(source.read_text()) for source in _project_sources()}
    domain_errors = _domain_error_names(sources.values())
    views = [source for source in sources if _is_views_module(source)]
    by_hand = [
        f"{source.relative_to(settings.BASE_DIR)}:{handler.lineno} catches {sorted(_caught(handler) & domain_errors)}"
        for source in views
        for handler in ast.walk(sources[source])
        if isinstance(handler, ast.ExceptHandler) and _caught(handler) & domain_errors
    ]

    assert {"NotFound", "LimitReached", "MainPlatform"} <= domain_errors
    assert len(views) >= 6, views
    assert by_hand == [], "declare it with core.page_errors.page_errors instead"
