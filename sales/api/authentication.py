"""Authentication of the API: the session (browser) or a token (other systems)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.tokens import is_expired

# DRF's keys are 40 hex digits; the column holds at most 40 characters.
MAX_KEY = 40


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, refusing keys no token can have before they reach the database, and
    tokens older than ``CRM_TOKEN_HOURS``.

    PostgreSQL rejects a NUL byte in a query parameter with an error, so an Authorization header
    carrying one would otherwise end as a server error instead of a 401.
    """

    def authenticate_credentials(self, key: str):
        if len(key) > MAX_KEY or "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, token = super().authenticate_credentials(key)
        if is_expired(token, now=timezone.now()):
            raise exceptions.AuthenticationFailed(_("Token has expired; ask for a new one at /api/token/."))
        return user, token


API_AUTHENTICATION = [authentication.SessionAuthentication, TokenAuthentication]
