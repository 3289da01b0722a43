"""Accounts' JSON API: one thin view per operation, nested Input/Output serializers."""

from django.contrib.auth import authenticate, logout
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.catalog import NICHES, Platform
from accounts.middleware import creator_timezone_activate
from accounts.streaks import stats_seen
from core.api import ServiceCheckedCharField, validated
from core.db_router import pin_to_primary
from core.errors import InvalidInput

# Niches and time zones are checked by accounts.services (a niche offered for the platform, an
# IANA zone); the schema says what is accepted.
NICHE_HELP = "A niche offered for the platform, or empty: " + "; ".join(
    f"{platform}: {', '.join(niches)}" for platform, niches in NICHES.items()
)
TIMEZONE_HELP = "An IANA time zone, e.g. Europe/Berlin."
SIGNUP_SENT = "Check your inbox: we sent a link to confirm the address."
REMINDER_HELP = "Local time of the daily reminder email, in 15-minute steps (HH:MM); null: no reminder."
NUDGE_HELP = "The streak-at-risk email at 20:00 local time, when the streak is 2 or more and nothing is done today."


class ProfileOutput(serializers.Serializer):
    platform = serializers.CharField()
    niche = serializers.CharField()
    timezone = serializers.CharField()
    display_name = serializers.CharField()
    milestone_emails = serializers.BooleanField()
    reminder_at = serializers.TimeField(format="%H:%M", allow_null=True, help_text=REMINDER_HELP)
    streak_nudge = serializers.BooleanField(help_text=NUDGE_HELP)
    reminder_emails = serializers.BooleanField()
    news_emails = serializers.BooleanField()
    phase = serializers.IntegerField()
    week = serializers.IntegerField()


class StatsOutput(serializers.Serializer):
    points = serializers.IntegerField()
    tasks_completed = serializers.IntegerField()
    current_streak = serializers.IntegerField(
        help_text="Days in a row with a completed task, up to today or yesterday in the creator's time zone; "
        "0 once a day passed without one."
    )
    longest_streak = serializers.IntegerField()
    last_active_on = serializers.DateField(allow_null=True)


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()
    profile = ProfileOutput()
    stats = StatsOutput()


def me_payload(user):
    """The `me` body for a user loaded with profile and stats."""
    enrollment = selectors.enrollment_primary(user=user)
    profile = user.profile
    return MeOutput(
        {
            "id": user.pk,
            "email": user.email,
            "email_verified": user.is_verified,
            "profile": {
                "platform": profile.platform,
                "niche": profile.niche,
                "timezone": profile.timezone,
                "display_name": profile.display_name,
                "milestone_emails": profile.milestone_emails,
                "reminder_at": profile.reminder_at,
                "streak_nudge": profile.streak_nudge,
                "reminder_emails": profile.reminder_emails,
                "news_emails": profile.news_emails,
                "phase": enrollment.current_phase,
                "week": enrollment.current_week,
            },
            "stats": stats_seen(user.stats, profile=profile),
        }
    ).data


class SignupApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "signup"

    class SignupInput(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        platform = ServiceCheckedCharField(documented={"enum": Platform.values})
        niche = serializers.CharField(required=False, allow_blank=True, default="", help_text=NICHE_HELP)
        timezone = serializers.CharField(required=False, default="UTC", help_text=TIMEZONE_HELP)
        display_name = ServiceCheckedCharField(
            required=False, allow_blank=True, default="", documented={"maxLength": services.DISPLAY_NAME_MAX}
        )

    class SignupOutput(serializers.Serializer):
        email = serializers.EmailField(help_text="The address the verification link was sent to.")
        detail = serializers.CharField()

    @extend_schema(request=SignupInput, responses={202: SignupOutput})
    def post(self, request):
        """Like the signup page, the answer is the same whether or not the address (or a look-alike
        of it) has an account: the owner of a taken one is emailed instead. Verify the address
        with the emailed link; POST /auth/token gives the API token."""
        data = validated(self.SignupInput, request.data)
        outcome = services.signup_request(**data)
        return Response({"email": outcome.email, "detail": SIGNUP_SENT}, status=status.HTTP_202_ACCEPTED)


class TokenApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "token"

    class TokenInput(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=TokenInput, responses={200: inline_serializer("TokenOutput", {"token": serializers.CharField()})})
    def post(self, request):
        data = validated(self.TokenInput, request.data)
        # The account may be a moment old (the API's signup answers 202 and the client asks for
        # its token at once), older than a lagging replica has replayed: read it where it was written.
        pin_to_primary()
        # Django's request: the login lockout (django-axes) counts the failure against this
        # email and client IP and, once locked, its middleware answers 429 instead.
        user = authenticate(request._request, email=data["email"], password=data["password"])
        if user is None:
            raise InvalidInput("Email or password is not correct.", fields={"password": ["Email or password is not correct."]})
        return Response({"token": services.api_token_issue(user=user)})


class LogoutApi(APIView):
    """Revoke the token this request was made with (and end the session, if it used one)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.api_token_revoke(user=request.user)
        if request.auth is None:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    class MePatchInput(serializers.Serializer):
        niche = serializers.CharField(required=False, help_text=NICHE_HELP)
        timezone = serializers.CharField(required=False, help_text=TIMEZONE_HELP)
        display_name = ServiceCheckedCharField(required=False, documented={"maxLength": services.DISPLAY_NAME_MAX})
        milestone_emails = serializers.BooleanField(required=False)
        reminder_at = serializers.TimeField(required=False, allow_null=True, help_text=REMINDER_HELP)
        streak_nudge = serializers.BooleanField(required=False, help_text=NUDGE_HELP)
        reminder_emails = serializers.BooleanField(required=False)
        news_emails = serializers.BooleanField(required=False)

    @extend_schema(responses={200: MeOutput})
    def get(self, request):
        return Response(me_payload(request.user))

    @extend_schema(request=MePatchInput, responses={200: MeOutput})
    def patch(self, request):
        data = validated(self.MePatchInput, request.data)
        profile = services.profile_update(user=request.user, **data)
        creator_timezone_activate(profile)  # the answer already in the new zone
        return Response(me_payload(request.user))
