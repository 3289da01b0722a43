from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend whose username is the email, matched in any letter case
    (UserManager.get_by_natural_key)."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        return super().authenticate(request, username=username or email, password=password, **kwargs)
