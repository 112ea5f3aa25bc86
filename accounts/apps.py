from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who may sign in, from where, and for how long: lockouts, session expiry, password pages."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Sign-in security")

    def ready(self) -> None:
        from accounts import receivers

        receivers.connect_delete_records()
