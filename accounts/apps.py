from django.apps import AppConfig


def _record_session(sender, request, user, **kwargs):
    from accounts.account_services import session_record

    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        session_record(user_id=user.pk, session_key=session.session_key)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts import receivers  # noqa: F401 (connects them)

        # Each browser session a creator signs in with is known by key, so "sign out other
        # sessions" and the deletion end them without decoding every session row.
        user_logged_in.connect(_record_session, dispatch_uid="accounts.record_session")
