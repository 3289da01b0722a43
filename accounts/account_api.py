"""API of the creator's own account: email change, password change, sign out everywhere."""

from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import account_services
from core.api import validated


def _session_key(request):
    """The session this request came with (kept signed in), None for a token request."""
    return request.session.session_key if request.auth is None and hasattr(request, "session") else None


class EmailChangeApi(APIView):
    class EmailChangeInput(serializers.Serializer):
        new_email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=EmailChangeInput,
                   responses={200: inline_serializer("EmailChangeOutput", {"email": serializers.CharField()})})
    def post(self, request):
        data = validated(self.EmailChangeInput, request.data)
        account_services.email_change(user=request.user, keep_session_key=_session_key(request), **data)
        return Response({"email": request.user.email, "email_verified": False})


class PasswordChangeApi(APIView):
    class PasswordChangeInput(serializers.Serializer):
        current_password = serializers.CharField(max_length=128, trim_whitespace=False)
        new_password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=PasswordChangeInput,
                   responses={200: inline_serializer("PasswordChangeOutput", {"token": serializers.CharField()})})
    def post(self, request):
        data = validated(self.PasswordChangeInput, request.data)
        token = account_services.password_change(user=request.user, keep_session_key=_session_key(request), **data)
        if request.auth is None:
            old_key = request.session.session_key
            update_session_auth_hash(request._request, request.user)
            account_services.session_record(user_id=request.user.pk, session_key=request.session.session_key,
                                            replacing=old_key)
        return Response({"token": token})


class SignOutEverywhereApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        account_services.sessions_sign_out_everywhere(user=request.user, keep_session_key=_session_key(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
