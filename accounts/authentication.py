from rest_framework.authentication import TokenAuthentication


class CreatorTokenAuthentication(TokenAuthentication):
    """Token auth that loads the creator's profile and stats with the user, in the one query
    every API request makes anyway (the views and the creator permission need them)."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__profile", "user__stats").get(key=key)
        except model.DoesNotExist:
            return super().authenticate_credentials(key)  # raises the usual AuthenticationFailed
        if not token.user.is_active:
            return super().authenticate_credentials(key)
        return token.user, token
