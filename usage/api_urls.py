from django.urls import path  # noqa: F401

# Usage JSON API routes (issue 5).
urlpatterns = []
