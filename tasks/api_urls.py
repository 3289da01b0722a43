from django.urls import path

from tasks import api

urlpatterns = [
    path("roadmap", api.RoadmapApi.as_view(), name="api_roadmap"),
    path("tasks/<id:task_id>/complete", api.TaskCompleteApi.as_view(), name="api_task_complete"),
    path("ideas", api.IdeasApi.as_view(), name="api_ideas"),
    path("ideas/<id:idea_id>", api.IdeaApi.as_view(), name="api_idea"),
    path("exports", api.ExportsApi.as_view(), name="api_exports"),
    path("enrollments", api.EnrollmentsApi.as_view(), name="api_enrollments"),
    path("enrollments/<str:platform>", api.EnrollmentApi.as_view(), name="api_enrollment"),
]
