from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts import throttle
from accounts.events import record_security_event

UserModel = get_user_model()


class AccountBackend(ModelBackend):
    """Django's username and password check, behind the lockout and with the session cutoff at hand.

    Every sign-in (the login page, the admin's login and ``POST /api/token/``) goes through
    ``authenticate``, so the lockout holds for all three without each view repeating it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        ip = throttle.client_ip(request)
        attempt = throttle.reserve(str(username), ip, now=timezone.now())
        if attempt is None:
            record_security_event("sign_in_refused", username=str(username), ip=ip)
            # PermissionDenied (not None) stops Django from asking any other backend.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        throttle.settle(attempt, succeeded=user is not None, now=timezone.now())
        if user is not None:
            record_security_event("signed_in", user=user, ip=ip)
        return user

    def get_user(self, user_id):
        # The session middleware compares the session's start with the user's cutoff on every
        # request; joining it here keeps that to the one query that loads the user anyway.
        try:
            user = UserModel._default_manager.select_related("session_cutoff").get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
