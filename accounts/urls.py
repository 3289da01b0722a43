from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import account_views, views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/niches/", views.signup_niches, name="signup_niches"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("verify/resend/", views.verification_resend, name="verification_resend"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
]

urlpatterns += [
    path("settings/", account_views.settings_page, name="settings"),
    path("settings/email/", account_views.email_change, name="settings_email"),
    path("settings/password/", account_views.password_change, name="settings_password"),
    path("settings/sign-out-everywhere/", account_views.sign_out_everywhere, name="sign_out_everywhere"),
    path("settings/email/undo/<str:token>/", account_views.email_change_revert, name="email_change_revert"),
    path("unsubscribe/<str:token>/", account_views.unsubscribe, name="unsubscribe"),
]
