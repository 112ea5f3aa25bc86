import time

from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from accounts import sessions

# Sent by requests a page makes by itself on a timer (the notification bell): they do not count as
# the user being there, or an open tab would keep its session alive forever.
BACKGROUND_HEADER = "X-CRM-Background"


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
            elif not request.headers.get(BACKGROUND_HEADER):
                sessions.touch(request.session, now)
        return self.get_response(request)
