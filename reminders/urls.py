from django.urls import path

from reminders import views

urlpatterns = [
    path("settings/reminders/", views.reminder_settings, name="reminder_settings"),
    path("reminders/stop/<str:token>/", views.stop_link, name="reminder_stop"),
]
