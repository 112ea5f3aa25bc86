from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from history.actor import acting_for


class ActorMiddleware:
    """Changes saved while serving a request (pages, board, API, admin) are recorded as the user's,
    and audit events recorded meanwhile name its user and client address.

    Goes after the authentication middleware; the user is read only when a change is saved, so a
    page that only reads costs no query and an API token is honoured.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_for(request):
            return self.get_response(request)
