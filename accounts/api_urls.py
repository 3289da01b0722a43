from django.urls import path

from accounts import account_api, api

urlpatterns = [
    path("auth/signup", api.SignupApi.as_view(), name="api_signup"),
    path("auth/token", api.TokenApi.as_view(), name="api_token"),
    path("auth/logout", api.LogoutApi.as_view(), name="api_logout"),
    path("me/email", account_api.EmailChangeApi.as_view(), name="api_email_change"),
    path("me/password", account_api.PasswordChangeApi.as_view(), name="api_password_change"),
    path("me/sign-out-everywhere", account_api.SignOutEverywhereApi.as_view(), name="api_sign_out_everywhere"),
]
