import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject


def signed_in_user(request):
    """The model instance behind `request.user` (a lazy object): views hand it to services and
    queries, which should not go through a proxy."""
    user = request.user
    return user._wrapped if isinstance(user, SimpleLazyObject) else user


def creator_required(view):
    """A page for creators: logged in, as `request.creator`, the signed-in user as the session
    loaded it, with profile and stats (accounts.backends.EmailBackend.get_user). Staff accounts
    (createsuperuser) have no creator profile: their home is the admin."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        creator = signed_in_user(request)
        if not hasattr(creator, "profile"):
            return redirect("admin:index")
        request.creator = creator
        return view(request, *args, **kwargs)

    return wrapped
