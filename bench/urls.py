from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/bare", views.bare),
    path("bench/reference/tasks/<id:task_id>/complete", views.reference_complete),
    path("", include("creatorcompass.urls")),
]
