from django.urls import path

from billing import views

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/", views.billing, name="billing"),
    path("billing/checkout/", views.checkout_start, name="billing_checkout"),
    path("billing/portal/", views.portal, name="billing_portal"),
    path("billing/cancel/", views.cancel, name="billing_cancel"),
    path("billing/resume/", views.resume, name="billing_resume"),
]
