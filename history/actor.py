"""Who is making the changes being saved: the signed-in user of a request, the user an import or
a deal verb names, or nobody (a command-line import, the demo data).

A context variable rather than an argument, so that ``save()`` deep inside a form, a serializer or
the admin knows who to record without every caller passing the user along.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

# A function rather than the user: a request's user is only known once authentication has run,
# which for the API is inside the view (token authentication), after the middleware began.
_actor: ContextVar[Callable[[], object] | None] = ContextVar("history_actor", default=None)


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Record changes saved inside the block as made by ``user`` (``None``: by nobody)."""
    token = _actor.set(lambda: user)
    try:
        yield
    finally:
        _actor.reset(token)


@contextmanager
def acting_for(request: HttpRequest) -> Iterator[None]:
    """Record changes saved inside the block as made by whoever ``request`` turns out to be from."""
    token = _actor.set(lambda: getattr(request, "user", None))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    """The signed-in user changes are now made by, or ``None``."""
    source = _actor.get()
    user = source() if source is not None else None
    if user is None or not user.is_authenticated:
        return None
    return user
