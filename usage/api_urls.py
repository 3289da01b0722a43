from django.urls import path

from usage import api

urlpatterns = [
    path("me", api.MeWithPlanApi.as_view(), name="api_me"),
    path("usage", api.UsageApi.as_view(), name="api_usage"),
]
