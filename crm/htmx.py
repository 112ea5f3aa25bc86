"""When a view answers an htmx request with a fragment instead of the whole page."""

from django.http import HttpRequest


def wants_fragment(request: HttpRequest, target: str | None = None) -> bool:
    """An htmx request for a fragment (of ``target``, when given).

    A history restore after a cache miss asks for the whole page, even though htmx sends it.
    """
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target
