import time

from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from accounts import sessions


class SessionExpiryMiddleware:
    """Signs the user out when the session was idle too long, is too old, or was ended everywhere.

    Goes after AuthenticationMiddleware. The user it reads is the one the view would load anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            if sessions.end_reason(request.session, request.user, now):
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
            else:
                sessions.touch(request.session, now)
        return self.get_response(request)
