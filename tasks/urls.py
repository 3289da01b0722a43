from django.urls import path

from tasks import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("roadmap/tasks/<int:task_id>/complete/", views.task_complete, name="task_complete"),
]
