from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import throttle
from accounts.actions import end_sessions
from accounts.events import record_security_event
from accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "idle_minutes": settings.CRM_SESSION_IDLE_MINUTES,
            "max_hours": settings.CRM_SESSION_MAX_HOURS,
            "token_hours": settings.CRM_TOKEN_HOURS,
        },
    )


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    end_sessions(request.user, now=timezone.now(), reason="signed_out_everywhere")
    logout(request)
    messages.success(request, _("You have been signed out on every device, and your API token has ended."))
    return redirect(settings.LOGIN_URL)


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")
    success_message = _("Your password has been changed. Your other sessions and your API token have ended.")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")

    def form_valid(self, form):
        # The address typed is not kept: it may be anyone's. The account it reached, if any, is.
        email = form.cleaned_data["email"]
        users = list(form.get_users(email))
        if not throttle.reserve_reset(email, throttle.client_ip(self.request), now=timezone.now()):
            # The same answer as a sent email, so the limit reveals nothing; nothing is sent.
            record_security_event(
                "password_reset_refused",
                target=users[0] if len(users) == 1 else None,
                detail={"accounts": len(users)},
            )
            return HttpResponseRedirect(self.get_success_url())
        record_security_event(
            "password_reset_requested",
            target=users[0] if len(users) == 1 else None,
            detail={"accounts": len(users)},
        )
        return super().form_valid(form)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("login")
    success_message = _("Your password has been set. Sign in with it.")
