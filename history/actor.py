"""Who is making the changes being saved: the signed-in user of a request, the user an import or
a deal verb names, or nobody (a command-line import, the demo data). Also the request being served,
for the audit log's actor and client address (``accounts.events``).

Context variables rather than arguments, so that ``save()`` deep inside a form, a serializer or
the admin knows who to record without every caller passing the user along.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

# A function rather than the user: a request's user is only known once authentication has run,
# which for the API is inside the view (token authentication), after the middleware began.
_actor: ContextVar[Callable[[], object] | None] = ContextVar("history_actor", default=None)
_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


@contextmanager
def _set(var: ContextVar, value) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def acting_as(user):
    """Record changes saved inside the block as made by ``user`` (``None``: by nobody)."""
    return _set(_actor, lambda: user)


@contextmanager
def acting_for(request: HttpRequest) -> Iterator[None]:
    """Record changes saved inside the block as made by whoever ``request`` turns out to be from,
    and let the audit log know the request it is serving."""
    with _set(_request, request), _set(_actor, lambda: getattr(request, "user", None)):
        yield


def signed_in(user):
    """``user`` if it is a signed-in user, else ``None``."""
    if user is None or not user.is_authenticated:
        return None
    return user


def current_request() -> HttpRequest | None:
    """The request being served, or ``None`` (a command, a worker)."""
    return _request.get()


def current_actor():
    """The signed-in user changes are now made by, or ``None``."""
    source = _actor.get()
    return signed_in(source() if source is not None else None)
