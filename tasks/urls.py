from django.urls import path

from tasks import idea_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/meters/", views.dashboard_meters, name="dashboard_meters"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("roadmap/tasks/<id:task_id>/complete/", views.task_complete, name="task_complete"),
    path("roadmap/export/", views.roadmap_export, name="roadmap_export"),
    path("roadmap/export/meter/", views.export_meter, name="export_meter"),
    path("roadmap/platforms/follow/", views.platform_enroll, name="platform_enroll"),
    path("roadmap/platforms/leave/", views.platform_leave, name="platform_leave"),
    path("ideas/", idea_views.ideas, name="ideas"),
    path("ideas/<id:idea_id>/", idea_views.idea_detail, name="idea_detail"),
    path("ideas/<id:idea_id>/edit/", idea_views.idea_edit, name="idea_edit"),
    path("ideas/<id:idea_id>/delete/", idea_views.idea_delete, name="idea_delete"),
]
