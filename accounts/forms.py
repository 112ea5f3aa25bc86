from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import ngettext

from accounts import throttle


def lockout_message(remaining) -> str:
    count = throttle.minutes(remaining)
    return ngettext(
        "Too many failed sign-ins; try again in %(count)d minute.",
        "Too many failed sign-ins; try again in %(count)d minutes.",
        count,
    ) % {"count": count}


class LockoutMessageMixin:
    """Says the account or address is locked, and for how long, instead of "wrong password"."""

    def get_invalid_login_error(self):
        remaining = throttle.lockout(
            self.cleaned_data.get("username") or "", throttle.client_ip(self.request), now=timezone.now()
        )
        if remaining is not None:
            return forms.ValidationError(lockout_message(remaining), code="locked_out")
        return super().get_invalid_login_error()


class LoginForm(LockoutMessageMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    pass
