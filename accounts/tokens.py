"""API tokens (DRF's authtoken) that expire ``CRM_TOKEN_HOURS`` after they were issued."""

from datetime import datetime, timedelta

from django.conf import settings
from rest_framework.authtoken.models import Token


def lifetime() -> timedelta:
    return timedelta(hours=settings.CRM_TOKEN_HOURS)


def expires_at(token: Token) -> datetime:
    return token.created + lifetime()


def is_expired(token: Token, *, now: datetime) -> bool:
    return now >= expires_at(token)


def issue_token(user, *, now: datetime) -> Token:
    """The user's token, a new one when the current one has expired."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and is_expired(token, now=now):
        token.delete()
        token, _ = Token.objects.get_or_create(user=user)
    return token
