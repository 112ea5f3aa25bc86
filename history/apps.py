from django.apps import AppConfig
from django.db.models.signals import m2m_changed
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    """Change history: who changed which fields of a record, when, from what to what."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "history"
    verbose_name = _("Change history")

    def ready(self) -> None:
        # Only once every app's models are loaded can the tracked ones be listed.
        from history.many import many_changed
        from history.models import tracked_models

        for model in tracked_models():
            for field in model._meta.many_to_many:
                uid = f"history:{field.model._meta.label}.{field.name}"
                m2m_changed.connect(many_changed, sender=field.remote_field.through, dispatch_uid=uid)
