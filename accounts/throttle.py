"""Failed sign-ins counted per account and per client address, and attempts over the limit refused.

``reserve`` counts an attempt *before* its password is checked, with one conditional UPDATE per
counter ("add one where the count is under the limit"). The database serialises those UPDATEs (a row
lock on PostgreSQL, the write lock on SQLite), so however many guesses arrive at once, from however
many processes, no more passwords are checked than the limit allows. ``settle`` then keeps the
count as a failure, or gives it back when the password was right.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.http import HttpRequest

from accounts.events import record_security_event
from accounts.models import SignInThrottle

Scope = SignInThrottle.Scope


@dataclass(frozen=True)
class Policy:
    limit: int
    window: timedelta


@dataclass(frozen=True)
class Attempt:
    username: str
    ip: str
    counters: tuple[tuple[str, str], ...]


def current_policy() -> Policy:
    return Policy(settings.CRM_LOCKOUT_FAILURES, timedelta(minutes=settings.CRM_LOCKOUT_MINUTES))


def reset_policy() -> Policy:
    return Policy(settings.CRM_RESET_LIMIT, timedelta(minutes=settings.CRM_RESET_MINUTES))


def client_ip(request: HttpRequest | None) -> str:
    """The address the request came from, behind ``TRUSTED_PROXY_COUNT`` reverse proxies.

    Each proxy appends the address it received from to X-Forwarded-For, so the client is the entry
    that many places from the end; anything before it was written by the client and proves nothing.
    """
    if request is None:
        return ""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return _clean(address)


def _clean(text: str) -> str:
    # PostgreSQL refuses NUL bytes, and no username or address needs more than the column holds.
    return text.replace("\x00", "")[:150]


def _counters(
    username: str, ip: str, scopes: tuple[Scope, Scope] = (Scope.ACCOUNT, Scope.ADDRESS)
) -> tuple[tuple[str, str], ...]:
    counters = [(scopes[0].value, _clean(username).casefold())]
    if ip:
        counters.append((scopes[1].value, ip))
    return tuple(counters)


def _rows(counters):
    match = Q()
    for scope, key in counters:
        match |= Q(scope=scope, key=key)
    return SignInThrottle.objects.filter(match)


def reserve(
    username: str,
    ip: str,
    *,
    now: datetime,
    policy: Policy | None = None,
    scopes: tuple[Scope, Scope] = (Scope.ACCOUNT, Scope.ADDRESS),
) -> Attempt | None:
    """Count one attempt against the account and the address, or None when either is locked."""
    policy = policy or current_policy()
    counters = _counters(username, ip, scopes)
    taken = []
    for counter in counters:
        if not _take(counter, now, policy):
            for scope, key in taken:
                _give_back(scope, key)
            return None
        taken.append(counter)
    return Attempt(username=username, ip=ip, counters=counters)


def _take(counter: tuple[str, str], now: datetime, policy: Policy) -> bool:
    scope, key = counter
    rows = SignInThrottle.objects.filter(scope=scope, key=key)
    counting = rows.filter(failures__lt=policy.limit, window_started__gt=now - policy.window, locked_at=None)
    expired = rows.expired(now, policy.window)
    if counting.update(failures=F("failures") + 1) or expired.update(
        failures=1, window_started=now, locked_at=None
    ):
        return True
    # No row yet, or a parallel attempt has just started a new window: make sure the row exists
    # (without failing if another attempt creates it first) and try once more.
    SignInThrottle.objects.bulk_create(
        [SignInThrottle(scope=scope, key=key, window_started=now)], ignore_conflicts=True
    )
    return bool(
        counting.update(failures=F("failures") + 1)
        or expired.update(failures=1, window_started=now, locked_at=None)
    )


def _give_back(scope: str, key: str) -> None:
    SignInThrottle.objects.filter(scope=scope, key=key, failures__gt=0).update(failures=F("failures") - 1)


def settle(attempt: Attempt, *, succeeded: bool, now: datetime, policy: Policy | None = None) -> None:
    """Keep the attempt as a failure (locking a counter that reached the limit) or give it back."""
    policy = policy or current_policy()
    if succeeded:
        for scope, key in attempt.counters:
            if scope == Scope.ACCOUNT:
                # The owner knows the password: earlier typos no longer count against the account.
                SignInThrottle.objects.filter(scope=scope, key=key).delete()
            else:
                # A shared address keeps its other failures; one good sign-in must not wipe an
                # attacker's count.
                _give_back(scope, key)
        return
    record_security_event("sign_in_failed", username=attempt.username, ip=attempt.ip)
    for scope, key in attempt.counters:
        # Only the attempt that sets locked_at reports the lockout, so it is reported once.
        newly_locked = SignInThrottle.objects.filter(
            scope=scope, key=key, failures__gte=policy.limit, locked_at=None
        ).update(locked_at=now)
        if newly_locked:
            record_security_event(
                "locked_out",
                username=attempt.username,
                ip=attempt.ip,
                detail=f"{scope} {key!r} locked for {minutes(policy.window)} minutes "
                f"after {policy.limit} failed sign-ins",
            )


def lockout(username: str, ip: str, *, now: datetime, policy: Policy | None = None) -> timedelta | None:
    """How much longer the account or the address is locked; None when neither is."""
    policy = policy or current_policy()
    remaining = []
    for row in _rows(_counters(username, ip)):
        if row.locked_at and row.locked_at > now - policy.window:
            remaining.append(row.locked_at + policy.window - now)
        elif row.failures >= policy.limit and row.window_started > now - policy.window:
            # Full of attempts whose passwords are still being checked: locked once they fail.
            remaining.append(policy.window)
    return max(remaining, default=None)


def reserve_reset(email: str, ip: str, *, now: datetime) -> bool:
    """Count one password-reset request for the email address and the client address; False when
    either has had its fill for now. Every request counts, whether or not the address is known,
    so the limit itself tells nothing about which addresses have accounts."""
    attempt = reserve(
        email, ip, now=now, policy=reset_policy(), scopes=(Scope.RESET_ACCOUNT, Scope.RESET_ADDRESS)
    )
    return attempt is not None


def minutes(duration: timedelta) -> int:
    """Whole minutes to tell a person, rounded up so "try again in 1 minute" is never too early."""
    return max(1, math.ceil(duration.total_seconds() / 60))


def unlock(rows, *, by) -> int:
    """Lift the lockouts in ``rows`` (a queryset of SignInThrottle) now; returns how many."""
    unlocked = 0
    for row in rows:
        record_security_event(
            "unlocked",
            username=row.key if row.scope == Scope.ACCOUNT else "",
            ip=row.key if row.scope == Scope.ADDRESS else "",
            detail=f"by {by.get_username()} after {row.failures} failures",
        )
        unlocked += 1
    rows.delete()
    return unlocked
