from django.conf import settings
from django.http import HttpRequest

from people.visibility import is_admin, is_manager


def crm(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "CRM_CURRENCY": settings.CRM_CURRENCY,
        "user_is_admin": signed_in and is_admin(user),
        "user_is_manager": signed_in and is_manager(user),
    }
