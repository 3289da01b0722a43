from django.contrib.auth.backends import ModelBackend

from accounts.selectors import creator_get


class EmailBackend(ModelBackend):
    """ModelBackend whose username is the email, matched in any letter case
    (UserManager.get_by_natural_key), and whose signed-in user (each page's `request.user`)
    comes with the creator's profile and stats in the same one query: the time zone, the
    creator pages (accounts.decorators.creator_required) and the menu need them, and each used
    to read them again."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        return super().authenticate(request, username=username or email, password=password, **kwargs)

    def get_user(self, user_id):
        user = creator_get(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
