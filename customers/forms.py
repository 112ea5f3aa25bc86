"""Forms of the customer pages: they validate and normalise, the views save."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.forms import autofocus_first, strip_text
from customers.models import Contact, Customer
from history.versions import VersionedFormMixin
from people.forms import OwnerChoiceField, offer_owners


class CustomerForm(VersionedFormMixin, forms.ModelForm):
    """Owner is offered to managers and admins only; a rep's customers are always their own."""

    class Meta:
        model = Customer
        fields = [
            "name",
            "kind",
            "owner",
            "industry",
            "region",
            "channel",
            "need",
            "email",
            "phone",
            "website",
            "address",
            "notes",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    owner = OwnerChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(), empty_label=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        offer_owners(self, user)
        self.fields["need"].widget.attrs.update({"min": "0", "step": "0.01"})
        autofocus_first(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-8"), Column("kind", css_class="col-md-4")),
            Row(
                *[
                    Column(n, css_class="col-md")
                    for n in ("owner", "industry", "region", "channel")
                    if n in self.fields
                ]
            ),
            Row(
                Column("need", css_class="col-md-4"),
                Column("email", css_class="col-md-4"),
                Column("phone", css_class="col-md-4"),
            ),
            "website",
            "address",
            "notes",
            "version",
            "original",
        )

    def clean(self) -> dict:
        return strip_text(super().clean(), ("name", "industry", "region", "channel", "phone", "website"))

    def save(self, commit: bool = True) -> Customer:
        if "owner" not in self.fields and not self.instance.owner_id:
            self.instance.owner = self.user
        return super().save(commit)


class ContactForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "is_primary"]

    def __init__(self, *args, autofocus: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if autofocus:
            autofocus_first(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("name", css_class="col-md-6"), Column("title", css_class="col-md-6")),
            Row(Column("email", css_class="col-md-6"), Column("phone", css_class="col-md-6")),
            "is_primary",
            "version",
            "original",
        )

    def clean(self) -> dict:
        return strip_text(super().clean(), ("name", "title", "phone"))
