"""Hooks into Django's sign-in and into saves of its user model.

The user model is Django's, and a password or the active flag can change through many doors (the
account pages, a reset link, the admin's forms, ``manage.py changepassword``, the shell). A door
that forgot to end the user's sessions would leave a thief signed in, so the rule sits on the save
rather than in each view.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone

from accounts import sessions
from accounts.actions import end_sessions, end_tokens

User = get_user_model()


@receiver(user_logged_in)
def stamp_the_new_session(sender, request, user, **kwargs) -> None:
    sessions.stamp(request.session)


@receiver(pre_save, sender=User)
def end_sessions_when_credentials_change(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = User._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["is_active"] and not instance.is_active:
        # Inactive users are refused on every request already; the cutoff keeps their old sessions
        # dead if the account is switched back on.
        end_sessions(instance, now=timezone.now(), reason="deactivated")
    elif before["password"] != instance.password:
        # Django's own session check already ends the other sessions (it hashes the password) and
        # the password forms keep the one that made the change; tokens have no such check.
        end_tokens(instance, reason="password_changed")
