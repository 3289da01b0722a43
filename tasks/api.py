"""Tasks' JSON API: the roadmap, completing a task, and the metered actions (ideas, exports,
following other platforms)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import StatsOutput
from accounts.catalog import Platform
from accounts.streaks import stats_seen
from core.api import ServiceCheckedCharField, ServiceCheckedIntegerField, validated
from milestones.api import AchievementOutput, CelebrationOutput, share_url
from tasks import selectors
from tasks.services import completion, enrollments, exports, ideas


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
        current_streak = serializers.IntegerField(source="stats.current_streak", help_text="As in /me.")
        longest_streak = serializers.IntegerField(source="stats.longest_streak")

    @extend_schema(
        parameters=[OpenApiParameter("platform", str, description="A platform you follow (default: your main one).")],
        responses={200: RoadmapOutput},
    )
    def get(self, request):
        roadmap = selectors.roadmap_for(user=request.user, platform=request.query_params.get("platform"))
        roadmap.stats = stats_seen(request.user.stats, profile=request.user.profile)
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


_DATETIME = serializers.DateTimeField()


def completion_body(result, *, profile):
    """CompletionOutput's body built directly: completing a task is the hot path, and DRF
    serializers build and copy their fields on every call (about 0.5 ms of a completion's CPU).
    CompletionOutput stays the documented schema; a test holds the two equal. The stats are
    what the creator (`profile`: their time zone) reads: accounts.streaks.stats_seen."""
    completion, stats = result.completion, stats_seen(result.stats, profile=profile)
    return {
        "completion": {
            "id": completion.pk,
            "task_id": completion.task_id,
            "quality": completion.quality,
            "notes": completion.notes,
            "points": completion.points,
            "completed_at": _DATETIME.to_representation(completion.completed_at),
            "local_date": completion.local_date.isoformat(),
        },
        "stats": {
            "points": stats.points,
            "tasks_completed": stats.tasks_completed,
            "current_streak": stats.current_streak,
            "longest_streak": stats.longest_streak,
            "last_active_on": stats.last_active_on and stats.last_active_on.isoformat(),
        },
        "new_achievements": [
            {
                "id": a.milestone.id,
                "code": a.milestone.code,
                "title": a.milestone.title,
                "message": a.milestone.message,
                "achieved_at": _DATETIME.to_representation(a.achieved_at),
                "share_url": share_url(a),
            }
            for a in result.new_achievements
        ],
        "pending_celebrations": [
            {
                "id": c.id,
                "title": c.milestone.title,
                "message": c.milestone.message,
                "milestone_id": c.milestone.id,
                "created_at": _DATETIME.to_representation(c.created_at),
            }
            for c in result.pending_celebrations
        ],
    }


class TaskCompleteApi(APIView):
    auth_loads_stats = False  # the service locks and re-reads them
    class CompleteInput(serializers.Serializer):
        quality = ServiceCheckedIntegerField(
            required=False, documented={"minimum": completion.QUALITY_MIN, "maximum": completion.QUALITY_MAX}
        )
        notes = ServiceCheckedCharField(
            required=False, allow_blank=True, default="", documented={"maxLength": completion.NOTES_MAX}
        )

    @extend_schema(request=CompleteInput, responses={201: CompletionOutput, 200: CompletionOutput})
    def post(self, request, task_id):
        data = validated(self.CompleteInput, request.data)
        result = completion.task_complete(user=request.user, task_id=task_id, **data)
        return Response(completion_body(result, profile=request.user.profile), status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


# --- metered actions: ideas, exports, enrollments ------------------------------------------

class IdeaOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    notes = serializers.CharField()
    task = serializers.IntegerField(source="task_id", allow_null=True)
    task_title = serializers.CharField(source="task.title", allow_null=True, default=None)
    task_day = serializers.IntegerField(source="task.day", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class IdeasApi(APIView):
    class IdeaCreateInput(serializers.Serializer):
        title = ServiceCheckedCharField(documented={"maxLength": ideas.TITLE_MAX})
        notes = ServiceCheckedCharField(
            required=False, allow_blank=True, default="", documented={"maxLength": ideas.NOTES_MAX}
        )
        task = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="A task id of a roadmap you follow.")

    @extend_schema(responses={200: IdeaOutput(many=True)})
    def get(self, request):
        return Response(IdeaOutput(selectors.ideas_of(user=request.user), many=True).data)

    @extend_schema(request=IdeaCreateInput, responses={201: IdeaOutput})
    def post(self, request):
        data = validated(self.IdeaCreateInput, request.data)
        idea = ideas.idea_create(user=request.user, title=data["title"], notes=data["notes"], task_id=data["task"])
        return Response(IdeaOutput(idea).data, status=status.HTTP_201_CREATED)


class IdeaApi(APIView):
    class IdeaPatchInput(serializers.Serializer):
        title = ServiceCheckedCharField(required=False, documented={"maxLength": ideas.TITLE_MAX})
        notes = ServiceCheckedCharField(required=False, allow_blank=True, documented={"maxLength": ideas.NOTES_MAX})
        task = serializers.IntegerField(required=False, allow_null=True, help_text="null detaches the idea.")

    @extend_schema(request=IdeaPatchInput, responses={200: IdeaOutput})
    def patch(self, request, idea_id):
        data = validated(self.IdeaPatchInput, request.data)
        if "task" in data:
            data["task_id"] = data.pop("task")
        idea = ideas.idea_update(user=request.user, idea_id=idea_id, **data)
        return Response(IdeaOutput(idea).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, idea_id):
        ideas.idea_delete(user=request.user, idea_id=idea_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """The export answers a file whatever the client accepts (text/calendar, text/csv, */*):
    no 406; errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def export_response(export):
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


class ExportsApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    class ExportInput(serializers.Serializer):
        format = ServiceCheckedCharField(
            help_text="ics: iCalendar, one all-day event per task; csv: progress.", documented={"enum": list(exports.FORMATS)}
        )
        platform = serializers.CharField(max_length=16, required=False, help_text="A platform you follow (default: your main one).")

    @extend_schema(
        request=ExportInput,
        responses={(200, "text/calendar"): OpenApiTypes.BINARY, (200, "text/csv"): OpenApiTypes.BINARY},
        description="The file, as an attachment. Metered: exports per month on your plan (429 limit_reached).",
    )
    def post(self, request):
        data = validated(self.ExportInput, request.data)
        export = exports.roadmap_export(user=request.user, fmt=data["format"], platform=data.get("platform"))
        return export_response(export)


class EnrollmentOutput(serializers.Serializer):
    platform = serializers.CharField()
    started_on = serializers.DateField()
    phase = serializers.IntegerField(source="current_phase")
    week = serializers.IntegerField(source="current_week")


class EnrollmentsApi(APIView):
    class EnrollInput(serializers.Serializer):
        platform = ServiceCheckedCharField(documented={"enum": Platform.values})

    @extend_schema(request=EnrollInput, responses={201: EnrollmentOutput, 200: EnrollmentOutput})
    def post(self, request):
        data = validated(self.EnrollInput, request.data)
        result = enrollments.platform_enroll(user=request.user, platform=data["platform"])
        return Response(
            EnrollmentOutput(result.enrollment).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class EnrollmentApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, platform):
        enrollments.platform_leave(user=request.user, platform=platform)
        return Response(status=status.HTTP_204_NO_CONTENT)
