"""Hooks into Django's sign-in and into saves of its user model.

The user model is Django's, and a password or the active flag can change through many doors (the
account pages, a reset link, the admin's forms, ``manage.py changepassword``, the shell). A door
that forgot to end the user's sessions would leave a thief signed in, so the rule sits on the save
rather than in each view.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import sessions
from accounts.actions import end_sessions, end_tokens
from accounts.events import record_security_event
from history.models import tracked_models

User = get_user_model()


@receiver(user_logged_in)
def stamp_the_new_session(sender, request, user, **kwargs) -> None:
    sessions.stamp(request.session)


CREDENTIALS = ("password", "is_active")
ROLE_FLAGS = ("is_staff", "is_superuser")


@receiver(pre_save, sender=User)
def compare_with_the_stored_user(sender, instance, update_fields=None, **kwargs) -> None:
    """Read the stored row once for both checks below, and only when the save may change what they
    compare."""
    if instance.pk is None:
        return
    checks = [
        (fields, check)
        for fields, check in (
            (CREDENTIALS, _end_sessions_when_credentials_change),
            (ROLE_FLAGS, _record_role_changes),
        )
        if update_fields is None or set(fields) & set(update_fields)
    ]
    if not checks:
        return
    names = [name for fields, _check in checks for name in fields]
    before = User._default_manager.filter(pk=instance.pk).values(*names).first()
    if before is None:
        return
    for _fields, check in checks:
        check(instance, before)


def _end_sessions_when_credentials_change(instance, before: dict) -> None:
    if before["is_active"] and not instance.is_active:
        # Inactive users are refused on every request already; the cutoff keeps their old sessions
        # dead if the account is switched back on.
        end_sessions(instance, now=timezone.now(), reason="deactivated")
    elif before["password"] != instance.password:
        # Django's own session check already ends the other sessions (it hashes the password) and
        # the password forms keep the one that made the change; tokens have no such check.
        end_tokens(instance, reason="password_changed")


def _record_role_changes(instance, before: dict) -> None:
    changed = {
        flag: [before[flag], getattr(instance, flag)]
        for flag in ROLE_FLAGS
        if before[flag] != getattr(instance, flag)
    }
    if changed:
        record_security_event("role_changed", user=instance, target=instance, detail=changed)


@receiver(m2m_changed, sender=User.groups.through)
def record_group_changes(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if action not in {"post_add", "post_remove", "post_clear"} or (not pk_set and action != "post_clear"):
        return
    if reverse:
        # A group's members edited from the group's side: one event per user concerned.
        users = User._default_manager.filter(pk__in=pk_set or [])
        groups = [instance.name]
    else:
        users = [instance]
        groups = sorted(model._default_manager.filter(pk__in=pk_set or []).values_list("name", flat=True))
    verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    for user in users:
        record_security_event("role_changed", user=user, target=user, detail={"groups_" + verb: groups})


def _token_event(kind: str, token: Token) -> None:
    # The user may be going too (a deleted user's token goes with it): then only its id is kept.
    user = User._default_manager.filter(pk=token.user_id).first()
    if user is None:
        record_security_event(kind, target_type=User._meta.label_lower, target_id=token.user_id)
    else:
        record_security_event(kind, user=user, target=user)


@receiver(post_save, sender=Token)
def record_token_issued(sender, instance, created, **kwargs) -> None:
    if created:
        _token_event("token_created", instance)


@receiver(post_delete, sender=Token)
def record_token_ended(sender, instance, **kwargs) -> None:
    _token_event("token_revoked", instance)


def record_delete(sender, instance, **kwargs) -> None:
    # The record's values are in its change history; the log keeps who deleted what, by id only,
    # so erasing a person later leaves nothing of theirs here.
    record_security_event("deleted", target=instance)


def connect_delete_records() -> None:
    """Every delete of a tracked record (customers, deals, activities, ...) goes in the audit log."""
    for model in tracked_models():
        post_delete.connect(record_delete, sender=model, dispatch_uid=f"audit-delete-{model._meta.label}")
