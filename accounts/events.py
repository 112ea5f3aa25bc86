"""The one place security events are recorded: the ``AuditEvent`` table and the ``crm.security`` log.

Who and from where default to the request being served (``history.actor`` remembers it),
so a door deep inside a form or a save hook records the right person without every caller passing
the request along. Details must never hold a password, a token or a reset link.
"""

import logging

from django.db import models

from history.actor import current_request, signed_in

logger = logging.getLogger("crm.security")

# Routine events stay below the default WARNING level; the ones an administrator should see do not.
_ROUTINE = {"sign_in_failed", "sign_in_refused", "signed_in", "token_created", "exported"}


def record_security_event(
    kind: str,
    *,
    user=None,
    username: str = "",
    ip: str = "",
    detail: str | dict = "",
    target: models.Model | None = None,
    target_type: str = "",
    target_id: object = "",
):
    """Write one ``AuditEvent`` (and a log line); returns the event."""
    from accounts.models import AuditEvent
    from accounts.throttle import client_ip

    request = current_request()
    # ``user`` is the account concerned; the actor is whoever is signed in to the request (an admin
    # deactivating someone), else that account itself.
    actor = signed_in(getattr(request, "user", None)) or user
    if not ip:
        ip = client_ip(request)
    if actor is not None:
        if username and username != actor.get_username():
            detail = _with(detail, account=username)
        username = actor.get_username()
    if user is not None and actor is not None and user.pk != actor.pk and target is None and not target_type:
        target = user
    if target is not None:
        target_type, target_id = target._meta.label_lower, target.pk
    if isinstance(detail, str):
        detail = {"note": detail} if detail else {}
    detail = _storable(detail)
    username = _storable(username)
    logger.log(
        logging.INFO if kind in _ROUTINE else logging.WARNING,
        "security event %s: username=%r ip=%s user_id=%s %s",
        kind,
        username,
        ip or "-",
        getattr(actor, "pk", None) or "-",
        detail or "",
        extra={"security_event": {"kind": kind, "username": username, "ip": ip, "detail": detail}},
    )
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=username[:150],
        ip=ip[:45],
        target_type=target_type[:100],
        target_id=str(target_id or "")[:64],
        detail=detail,
    )


def _storable(value):
    """``value`` with NUL characters shown as U+FFFD: a typed filter or file name may hold them, and
    PostgreSQL stores none in text or JSON."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _with(detail: str | dict, **more) -> dict:
    if isinstance(detail, str):
        detail = {"note": detail} if detail else {}
    return {**detail, **more}
