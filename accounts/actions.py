from datetime import datetime

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.events import record_security_event
from accounts.models import SessionCutoff


@transaction.atomic
def end_sessions(user, *, now: datetime, reason: str) -> None:
    """End every session and API token the user has, on every device."""
    SessionCutoff.objects.update_or_create(user=user, defaults={"at": now})
    Token.objects.filter(user=user).delete()
    record_security_event(reason, user=user)


def end_tokens(user, *, reason: str) -> None:
    """End the user's API tokens; their sessions are left to Django (see accounts.receivers)."""
    Token.objects.filter(user=user).delete()
    record_security_event(reason, user=user)
