"""The few pages that belong to the project rather than to an app."""

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages without an icon link (admin, API docs)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
