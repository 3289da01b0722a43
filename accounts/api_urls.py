from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/signup", api.SignupApi.as_view(), name="api_signup"),
    path("auth/token", api.TokenApi.as_view(), name="api_token"),
    path("auth/logout", api.LogoutApi.as_view(), name="api_logout"),
]
