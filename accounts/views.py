from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.actions import end_sessions
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
