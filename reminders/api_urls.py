from django.urls import path

from reminders import api

urlpatterns = [
    path("reminders", api.RemindersApi.as_view(), name="api_reminders"),
]
