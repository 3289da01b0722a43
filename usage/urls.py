from django.urls import path  # noqa: F401

# Usage pages (issue 5).
urlpatterns = []
