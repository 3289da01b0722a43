"""Reminders' JSON API: the preferences and the next reminders due (PATCH /me changes them too)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import NUDGE_HELP, REMINDER_HELP
from accounts.decorators import signed_in_user
from accounts.services import profile_update
from core.api import validated
from reminders.selectors import schedules_of


class RemindersOutput(serializers.Serializer):
    class NextOutput(serializers.Serializer):
        kind = serializers.CharField()
        due_on = serializers.DateField(help_text="The local date the reminder is for.")
        due_at = serializers.DateTimeField(help_text="When it is due (UTC).")

    reminder_at = serializers.TimeField(format="%H:%M", allow_null=True, help_text=REMINDER_HELP)
    streak_nudge = serializers.BooleanField(help_text=NUDGE_HELP)
    next = NextOutput(many=True)


def reminders_payload(user):
    profile = user.profile
    rows = sorted(schedules_of(user=user).values(), key=lambda row: row.due_at)
    return RemindersOutput({"reminder_at": profile.reminder_at, "streak_nudge": profile.streak_nudge, "next": rows}).data


class RemindersApi(APIView):
    class RemindersPatchInput(serializers.Serializer):
        reminder_at = serializers.TimeField(required=False, allow_null=True, help_text=REMINDER_HELP)
        streak_nudge = serializers.BooleanField(required=False, help_text=NUDGE_HELP)

    @extend_schema(responses={200: RemindersOutput})
    def get(self, request):
        return Response(reminders_payload(signed_in_user(request)))

    @extend_schema(request=RemindersPatchInput, responses={200: RemindersOutput})
    def patch(self, request):
        user = signed_in_user(request)
        profile_update(user=user, **validated(self.RemindersPatchInput, request.data))
        return Response(reminders_payload(user))
