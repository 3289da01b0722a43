"""Accounts' pages: thin callers of services and selectors."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_POST

from accounts import forms, services
from accounts.catalog import niche_choices
from core.client_ip import client_ip
from core.page_errors import Render, page_errors
from core.throttle import throttle_posts

_PENDING_SIGNUP = "signup_pending_user_id"


@throttle_posts("signup")
def signup(request):
    """A new email and a taken one get the same answer ("check your inbox"): the owner of a
    taken one is emailed instead, so the form tells nobody who has an account. The first
    verification from this browser session logs the new creator in."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = form.signup()
        if outcome is not None:
            if outcome.user is not None:
                request.session[_PENDING_SIGNUP] = outcome.user.pk
            request.session["signup_email"] = outcome.email
            return redirect("signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


@require_GET
def signup_sent(request):
    return render(request, "accounts/signup_sent.html", {"email": request.session.get("signup_email", "")})


@require_GET
def signup_niches(request):
    """htmx partial: the niche <option>s of the chosen platform."""
    form = forms.NichePlatformForm(request.GET)
    platform = form.cleaned_data["platform"] if form.is_valid() else None
    return render(request, "accounts/_niche_options.html", {"niches": niche_choices(platform)})


@page_errors(page=Render("accounts/verify_failed.html", status=400))
def verify_email(request, token):
    user = services.email_verify(token=token)
    if request.session.get(_PENDING_SIGNUP) == user.pk and not request.user.is_authenticated:
        # The link opened in the browser that signed up: the person who chose the password.
        login(request, user, backend="accounts.backends.EmailBackend")
    if request.user.is_authenticated and request.user.pk == user.pk:
        request.session.pop(_PENDING_SIGNUP, None)
        messages.success(request, "Your email is verified. Welcome to CreatorCompass!")
        return redirect("dashboard")
    return render(request, "accounts/verified.html", {"verified_email": user.email})


@login_required
@require_POST
@page_errors(redirect="dashboard")
def verification_resend(request):
    if services.verification_resend(user=request.user):
        messages.info(request, f"A new verification link is on its way to {request.user.email}.")
    return redirect("dashboard")


@method_decorator(throttle_posts("login"), name="dispatch")
class LoginView(auth_views.LoginView):
    """Django's login (its `next` is checked with url_has_allowed_host_and_scheme). Password
    posts per client IP are throttled (THROTTLE_RATES["login"]: the hash costs CPU), and
    django-axes locks an account for one client IP after AXES_FAILURE_LIMIT wrong passwords."""

    authentication_form = forms.EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.QueuedPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        # The same answer whether or not the email exists; past the limit nothing is sent.
        if not services.password_reset_allowed(email=form.cleaned_data["email"], client_ip=client_ip(self.request)):
            return redirect(self.success_url)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")
