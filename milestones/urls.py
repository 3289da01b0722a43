from django.urls import path

from milestones import views

urlpatterns = [
    path("milestones/", views.milestones, name="milestones"),
    path("milestones/<id:milestone_id>/share/", views.share, name="milestone_share"),
    path("milestones/<id:milestone_id>/unshare/", views.unshare, name="milestone_unshare"),
    path("celebrations/<id:celebration_id>/seen/", views.celebration_seen, name="celebration_seen"),
    path("m/<str:token>", views.public, name="milestone_public"),
]
