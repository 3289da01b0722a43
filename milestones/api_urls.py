from django.urls import path

from milestones import api

urlpatterns = [
    path("milestones", api.MilestonesApi.as_view(), name="api_milestones"),
    path("milestones/<id:milestone_id>/share", api.MilestoneShareApi.as_view(), name="api_milestone_share"),
    path("celebrations", api.CelebrationsApi.as_view(), name="api_celebrations"),
    path("celebrations/<id:celebration_id>/seen", api.CelebrationSeenApi.as_view(), name="api_celebration_seen"),
]
