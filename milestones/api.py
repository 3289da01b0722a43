"""Milestones' JSON API: the catalogue with the creator's achievements, share links,
celebrations."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from milestones import selectors, services


def share_url(achievement):
    if achievement is None or not achievement.share_token:
        return None
    return f"{settings.SITE_URL}{reverse('milestone_public', args=[achievement.share_token])}"


class AchievementOutput(serializers.Serializer):
    id = serializers.IntegerField(source="milestone.id")
    code = serializers.CharField(source="milestone.code")
    title = serializers.CharField(source="milestone.title")
    message = serializers.CharField(source="milestone.message")
    achieved_at = serializers.DateTimeField()
    share_url = serializers.SerializerMethodField()

    def get_share_url(self, achievement) -> str | None:
        return share_url(achievement)


class CelebrationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="milestone.title")
    message = serializers.CharField(source="milestone.message")
    milestone_id = serializers.IntegerField(source="milestone.id")
    created_at = serializers.DateTimeField()


class MilestonesApi(APIView):
    class MilestoneOutput(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        kind = serializers.CharField()
        threshold = serializers.IntegerField()
        title = serializers.CharField()
        message = serializers.CharField()
        achieved_at = serializers.SerializerMethodField()
        share_url = serializers.SerializerMethodField()

        def get_achieved_at(self, milestone) -> str | None:
            return milestone.achievement and serializers.DateTimeField().to_representation(milestone.achievement.achieved_at)

        def get_share_url(self, milestone) -> str | None:
            return share_url(milestone.achievement)

    @extend_schema(responses={200: MilestoneOutput(many=True)})
    def get(self, request):
        milestones = selectors.milestones_for(user=request.user, platform=request.user.profile.platform)
        return Response(self.MilestoneOutput(milestones, many=True).data)


_SHARE_OUTPUT = inline_serializer("ShareOutput", {"share_url": serializers.CharField(allow_null=True)})


class MilestoneShareApi(APIView):
    @extend_schema(request=None, responses={200: _SHARE_OUTPUT})
    def post(self, request, milestone_id):
        achievement = services.achievement_share(user=request.user, milestone_id=milestone_id)
        return Response({"share_url": share_url(achievement)})

    @extend_schema(request=None, responses={200: _SHARE_OUTPUT})
    def delete(self, request, milestone_id):
        services.achievement_unshare(user=request.user, milestone_id=milestone_id)
        return Response({"share_url": None})


class CelebrationsApi(APIView):
    @extend_schema(responses={200: CelebrationOutput(many=True)})
    def get(self, request):
        return Response(CelebrationOutput(selectors.celebrations_pending(user=request.user), many=True).data)


class CelebrationSeenApi(APIView):
    @extend_schema(request=None, responses={200: inline_serializer("SeenOutput", {"id": serializers.IntegerField(), "seen": serializers.BooleanField()})})
    def post(self, request, celebration_id):
        services.celebration_seen(user=request.user, celebration_id=celebration_id)
        return Response({"id": celebration_id, "seen": True})
