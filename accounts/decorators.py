import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from accounts.selectors import creator_get


def creator_required(view):
    """A page for creators: logged in, and loaded with profile and stats in one query as
    `request.creator`. Staff accounts (createsuperuser) have no creator profile: their home is
    the admin."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        creator = creator_get(user_id=request.user.pk)
        if not hasattr(creator, "profile"):
            return redirect("admin:index")
        request.creator = creator
        return view(request, *args, **kwargs)

    return wrapped
