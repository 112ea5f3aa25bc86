"""How long a signed-in session lasts: an idle limit, an absolute limit and the user's cutoff.

Times are stored in the session as Unix timestamps when the user signs in. The last-seen time is
rewritten at most once a minute, so ordinary page views do not each write the session.
"""

import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

SIGNED_IN_AT = "crm_signed_in_at"
SEEN_AT = "crm_seen_at"
TOUCH_EVERY = 60  # seconds; how stale the last-seen time may get before it is rewritten


def stamp(session: SessionBase, now: float | None = None) -> None:
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def end_reason(session: SessionBase, user, now: float) -> str | None:
    """Why the signed-in session must end now ("idle", "lifetime", "cutoff"), or None."""
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in_at, int | float) or not isinstance(seen_at, int | float):
        return "unstamped"  # from before these limits existed: its age is unknown
    if now - signed_in_at > settings.CRM_SESSION_MAX_HOURS * 3600:
        return "lifetime"
    if now - seen_at > settings.CRM_SESSION_IDLE_MINUTES * 60:
        return "idle"
    cutoff = getattr(user, "session_cutoff", None)
    if cutoff is not None and signed_in_at < cutoff.at.timestamp():
        return "cutoff"
    return None


def touch(session: SessionBase, now: float) -> None:
    if now - session.get(SEEN_AT, 0) >= TOUCH_EVERY:
        session[SEEN_AT] = now
