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
    """`url` when it stays on this site (url_has_allowed_host_and_scheme: no other host, no
    `//evil.example`, no `javascript:`), else `default` (a URL or a URL name)."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return resolve_url(default)
