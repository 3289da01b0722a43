def is_htmx(request):
    """True when htmx sent the request (it wants a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"
