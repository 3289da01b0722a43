"""Domain errors on pages, mapped once. A view declares with `@page_errors(...)` what a refusal
(core.errors) becomes: a 404, a rendered page or htmx fragment, or a message and a redirect. No
view catches DomainError by hand (core/tests/test_page_errors.py reads every views module); the
API maps the same errors in core.api.exception_handler."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render, resolve_url

from core.errors import DomainError, NotFound
from core.htmx import is_htmx


@dataclass(frozen=True)
class Render:
    """The error answered with `template`, whose context holds the error as `error`, the view's
    URL arguments, and what `context(request, error, **url_arguments)` adds. `retarget`
    (formatted with the URL arguments) sends an htmx fragment into another element than the one
    that asked (HX-Retarget, swapped as innerHTML): the form or card that posted stays as it was."""

    template: str
    status: int = 200
    retarget: str | None = None
    context: Callable | None = None

    def response(self, request, error, url_arguments):
        extra = self.context(request, error, **url_arguments) if self.context else {}
        response = render(request, self.template, {"error": error, **url_arguments, **extra}, status=self.status)
        if self.retarget:
            response["HX-Retarget"] = self.retarget.format(**url_arguments)
            response["HX-Reswap"] = "innerHTML"
        return response


def error_text(error):
    return error.message


def page_errors(*, not_found=False, htmx=None, page=None, redirect=None, message=error_text):
    """Decorate a page view with what a DomainError it raises becomes, tried in this order:

    - `not_found`: NotFound is a 404 (another creator's object is not found, not forbidden);
    - `htmx` (a Render): the answer to an htmx request (HX-Request header);
    - `page` (a Render): the answer to any request;
    - `redirect` (a URL name or path, or `callable(request, **url_arguments)` giving a URL, which
      is never taken for a name): the person sees `message(error)` (`message=None`: no message)
      on the page redirected to.

    An error that none of them covers propagates: a view declares what it expects."""

    def decorate(view):
        @wraps(view)
        def view_with_errors_mapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                if not_found and isinstance(error, NotFound):
                    raise Http404(error.message) from error
                if htmx is not None and is_htmx(request):
                    return htmx.response(request, error, kwargs)
                if page is not None:
                    return page.response(request, error, kwargs)
                if redirect is None:
                    raise
                if message is not None:
                    messages.error(request, message(error))
                return HttpResponseRedirect(redirect(request, **kwargs) if callable(redirect) else resolve_url(redirect))

        return view_with_errors_mapped

    return decorate
