from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    """Data in and out: imports of CSV and XLSX files, exports of the filtered lists."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dataio"
    verbose_name = _("Data in and out")
