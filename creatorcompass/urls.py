from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from billing.views import StripeWebhookView
from core import ops_views as core_ops_views
from core import views as core_views
from core.api import api_not_found
from core.metrics import metrics_view
from core.throttle import throttle_posts
from ops import account_api as ops_account_api
from ops import account_views as ops_account_views
from ops import views as ops_views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("tasks.api_urls")),
    path("", include("milestones.api_urls")),
    path("", include("usage.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("reminders.api_urls")),
    path("me/delete", ops_account_api.AccountDeleteApi.as_view(), name="api_account_delete"),
    path("me/export", ops_account_api.AccountExportApi.as_view(), name="api_account_export"),
    path("schema", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # Anything else under the API answers in the API's error envelope, in DEBUG too.
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/dev/transactions", core_views.dev_transactions, name="dev_transactions"),
    path("api/v1/", include(api_v1)),
    path("admin/integrity/", ops_views.integrity, name="ops_integrity"),
    # The admin's login, throttled per client IP like /login/ (django-axes locks accounts on both).
    path("admin/login/", throttle_posts("login")(admin.site.login)),
    path("admin/transactions/", core_ops_views.transactions, name="ops_transactions"),
    path("admin/", admin.site.urls),
    # Our guard in front of dj-stripe's view; dj-stripe's URLs stay included for their names.
    path("stripe/webhook/<uuid:uuid>/", StripeWebhookView.as_view(), name="stripe_webhook"),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("settings/delete/", ops_account_views.account_delete, name="account_delete"),
    path("settings/export/", ops_account_views.account_export, name="account_export"),
    path("settings/export/<str:token>/", ops_account_views.account_export_download, name="account_export_download"),
    path("", include("accounts.urls")),
    path("", include("tasks.urls")),
    path("", include("milestones.urls")),
    path("", include("billing.urls")),
    path("", include("reminders.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
