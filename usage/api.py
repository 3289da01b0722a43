"""Usage's JSON API: the creator's meters."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import MeApi, me_payload
from accounts.api import MeOutput as AccountsMeOutput
from usage import selectors


class MeterOutput(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True, help_text="Null: unlimited on your plan.")
    resets_at = serializers.DateTimeField(allow_null=True, help_text="When the period ends; null: never (lifetime).")


class UsageFeaturesOutput(serializers.Serializer):
    platforms = MeterOutput()
    exports = MeterOutput()
    ideas = MeterOutput()


class UsageOutput(serializers.Serializer):
    plan = serializers.CharField(source="plan.code")
    features = UsageFeaturesOutput()


def usage_payload(usage):
    return UsageOutput({"plan": usage.plan, "features": {m.feature: m for m in usage.meters}}).data


class UsageApi(APIView):
    @extend_schema(responses={200: UsageOutput})
    def get(self, request):
        return Response(usage_payload(selectors.usage_for(request.user)))


class CreatorMeOutput(AccountsMeOutput):
    plan = serializers.CharField()
    usage = UsageFeaturesOutput()


class MeWithPlanApi(MeApi):
    """`/api/v1/me` as DESIGN.md §6 has it: accounts' profile and stats plus the plan and the
    usage meters (accounts imports no other app, so the whole is composed here)."""

    def _payload(self, user):
        usage = usage_payload(selectors.usage_for(user))
        return {**me_payload(user), "plan": usage["plan"], "usage": usage["features"]}

    @extend_schema(responses={200: CreatorMeOutput})
    def get(self, request):
        return Response(self._payload(request.user))

    @extend_schema(request=MeApi.MePatchInput, responses={200: CreatorMeOutput})
    def patch(self, request):
        super().patch(request)
        return Response(self._payload(request.user))
