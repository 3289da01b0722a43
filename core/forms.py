"""Form helpers shared by the apps' pages."""

from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import InvalidInput


def cleaned_or_raise(form):
    """A bound form's cleaned_data, or InvalidInput naming each bad field (the views' one path
    for refusals: the same message beside the form as a service's own InvalidInput)."""
    if form.is_valid():
        return form.cleaned_data
    fields = {name: list(errors) for name, errors in form.errors.items()}
    message = " ".join(f"{name}: {errors[0]}" if name != "__all__" else errors[0] for name, errors in fields.items())
    raise InvalidInput(message, fields=fields)


def safe_next(request, url, default):
    """A URL to redirect to: `url` when it is a path on this site (url_has_allowed_host_and_scheme:
    no other host, no `//evil.example`, no `javascript:`; and a path, so `0` is not taken for a
    view name), else `default` (a URL or a URL name) resolved. Redirect with
    HttpResponseRedirect, which never resolves names."""
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return url
    return resolve_url(default)
