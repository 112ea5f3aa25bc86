from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    """Who works here: teams and their managers, who may see whose records, how people are named."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "people"
    verbose_name = _("People and teams")
