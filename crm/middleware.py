from django.utils.cache import add_never_cache_headers

# Scripts come only from our own static files: an injected <script> or on* attribute does not run.
# Style attributes stay allowed (templates set widths and progress bars with them, and they cannot
# run code), but <style> elements must come from our files, which closes CSS-selector tricks that
# read the page. data: images are Bootstrap's inline SVG icons.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

API_PREFIX = "/api/"


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on every answer, and no caching of anyone's data.

    Pages for a signed-in user and every API answer carry customer data, which must not stay in a
    shared computer's browser cache or a proxy. Goes after WhiteNoise, so static files keep their
    long caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        if request.path_info.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response
