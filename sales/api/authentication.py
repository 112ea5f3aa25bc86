"""Authentication of the API: the session (browser) or a token (other systems)."""

from rest_framework import authentication, exceptions

# DRF's keys are 40 hex digits; the column holds at most 40 characters.
MAX_KEY = 40


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, refusing keys no token can have before they reach the database.

    PostgreSQL rejects a NUL byte in a query parameter with an error, so an Authorization header
    carrying one would otherwise end as a server error instead of a 401.
    """

    def authenticate_credentials(self, key: str):
        if len(key) > MAX_KEY or "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


API_AUTHENTICATION = [authentication.SessionAuthentication, TokenAuthentication]
