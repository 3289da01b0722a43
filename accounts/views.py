"""Accounts' pages: thin callers of services and selectors."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import forms, services
from accounts.catalog import niche_choices
from core.errors import DomainError


def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.signup()
        if user is not None:
            login(request, user, backend="accounts.backends.EmailBackend")
            # No welcome message: the dashboard's one banner welcomes and asks to confirm the email.
            return redirect("dashboard")
    return render(request, "accounts/signup.html", {"form": form})


@require_GET
def signup_niches(request):
    """htmx partial: the niche <option>s of the chosen platform."""
    return render(
        request, "accounts/_niche_options.html", {"niches": niche_choices(request.GET.get("platform"))}
    )


def verify_email(request, token):
    try:
        user = services.email_verify(token=token)
    except DomainError as exc:
        return render(request, "accounts/verify_failed.html", {"message": exc.message}, status=400)
    if request.user.is_authenticated and request.user.pk == user.pk:
        messages.success(request, "Your email is verified. Welcome to CreatorCompass!")
        return redirect("dashboard")
    return render(request, "accounts/verified.html", {"verified_email": user.email})


@login_required
@require_POST
def verification_resend(request):
    if services.verification_resend(user=request.user):
        messages.info(request, f"A new verification link is on its way to {request.user.email}.")
    return redirect("dashboard")


class LoginView(auth_views.LoginView):
    authentication_form = forms.EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = forms.QueuedPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        # The same answer whether or not the email exists; past the limit nothing is sent.
        if not services.password_reset_allowed(
            email=form.cleaned_data["email"], client_ip=self.request.META.get("REMOTE_ADDR", "")
        ):
            return redirect(self.success_url)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")
