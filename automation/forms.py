from django import forms
from django.utils.translation import gettext_lazy as _

from automation.models import Profile


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["language", "daily_digest", "weekly_digest", "reminder_emails"]
        labels = {"language": _("Language of your emails")}
