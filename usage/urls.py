from django.urls import path  # noqa: F401

# Usage has no pages of its own: its meters are a partial (templates/usage/_meters.html) that
# pages include with the `usage_for` selector, or with {% load usage %}{% usage_meters %}.
urlpatterns = []
