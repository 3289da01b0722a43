"""Tasks' JSON API: the roadmap and completing a task."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import StatsOutput
from core.api import validated
from milestones.api import AchievementOutput, CelebrationOutput
from tasks import selectors, services


class TaskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    day = serializers.IntegerField()
    order = serializers.IntegerField()
    phase = serializers.IntegerField()
    week = serializers.IntegerField()
    category = serializers.CharField()
    minutes = serializers.IntegerField()
    title = serializers.CharField()
    what = serializers.CharField(source="body")
    why = serializers.CharField()
    success = serializers.CharField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    locked = serializers.BooleanField()


class RoadmapApi(APIView):
    class DayOutput(serializers.Serializer):
        day = serializers.IntegerField()
        date = serializers.DateField()
        phase = serializers.IntegerField()
        week = serializers.IntegerField()
        locked = serializers.BooleanField()
        is_today = serializers.BooleanField()
        completed = serializers.BooleanField()
        tasks = TaskOutput(many=True)

    class RoadmapOutput(serializers.Serializer):
        platform = serializers.CharField()
        plan = serializers.CharField(source="plan.code")
        roadmap_days = serializers.IntegerField(source="plan.roadmap_days")
        started_on = serializers.DateField(source="enrollment.started_on")
        today = serializers.IntegerField()
        phase = serializers.IntegerField(source="enrollment.current_phase")
        week = serializers.IntegerField(source="enrollment.current_week")
        completed = serializers.IntegerField()
        total = serializers.IntegerField()
        percent = serializers.IntegerField()

    @extend_schema(
        parameters=[OpenApiParameter("platform", str, description="A platform you follow (default: your main one).")],
        responses={200: RoadmapOutput},
    )
    def get(self, request):
        roadmap = selectors.roadmap_for(user=request.user, platform=request.query_params.get("platform"))
        body = self.RoadmapOutput(roadmap).data
        body["days"] = self.DayOutput(roadmap.days, many=True).data
        return Response(body)


class CompletionOutput(serializers.Serializer):
    class Completion(serializers.Serializer):
        id = serializers.IntegerField()
        task_id = serializers.IntegerField()
        quality = serializers.IntegerField()
        notes = serializers.CharField()
        points = serializers.IntegerField()
        completed_at = serializers.DateTimeField()
        local_date = serializers.DateField()

    completion = Completion()
    stats = StatsOutput()
    new_achievements = AchievementOutput(many=True)
    pending_celebrations = CelebrationOutput(many=True)


class TaskCompleteApi(APIView):
    class CompleteInput(serializers.Serializer):
        quality = serializers.IntegerField(min_value=1, max_value=5, required=False)
        notes = serializers.CharField(max_length=services.NOTES_MAX, required=False, allow_blank=True, default="")

    @extend_schema(request=CompleteInput, responses={201: CompletionOutput, 200: CompletionOutput})
    def post(self, request, task_id):
        data = validated(self.CompleteInput, request.data)
        result = services.task_complete(user=request.user, task_id=task_id, **data)
        return Response(
            CompletionOutput(result).data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )
