from django.urls import path

from billing import api

urlpatterns = [
    path("billing/checkout", api.CheckoutApi.as_view(), name="api_billing_checkout"),
    path("billing/portal", api.PortalApi.as_view(), name="api_billing_portal"),
    path("billing/cancel", api.CancelApi.as_view(), name="api_billing_cancel"),
    path("billing/resume", api.ResumeApi.as_view(), name="api_billing_resume"),
]
