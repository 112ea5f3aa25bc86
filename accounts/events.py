"""The one place security events are recorded.

For now they go to the ``crm.security`` logger; an audit-log table can take them later by changing
only this function.
"""

import logging

logger = logging.getLogger("crm.security")

# Routine events stay below the default WARNING level; the ones an administrator should see do not.
_ROUTINE = {"sign_in_failed", "sign_in_refused"}


def record_security_event(
    kind: str, *, user=None, username: str = "", ip: str = "", detail: str = ""
) -> None:
    if user is not None and not username:
        username = user.get_username()
    logger.log(
        logging.INFO if kind in _ROUTINE else logging.WARNING,
        "security event %s: username=%r ip=%s user_id=%s %s",
        kind,
        username,
        ip or "-",
        getattr(user, "pk", None) or "-",
        detail,
        extra={"security_event": {"kind": kind, "username": username, "ip": ip, "detail": detail}},
    )
