from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from automation.models import Profile


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["language", "daily_digest", "weekly_digest", "reminder_emails"]
        labels = {"language": _("Language of your emails")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank means the site's default language; say which one that is.
        default = dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)
        self.fields["language"].choices = [
            ("", _("The site's default (%(language)s)") % {"language": default}),
            *[c for c in self.fields["language"].choices if c[0] != ""],
        ]
