from django.urls import path

from tasks import api

urlpatterns = [
    path("roadmap", api.RoadmapApi.as_view(), name="api_roadmap"),
    path("tasks/<int:task_id>/complete", api.TaskCompleteApi.as_view(), name="api_task_complete"),
]
