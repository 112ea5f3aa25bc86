"""Form fields that pick a person."""

from django import forms

from people.names import display_name
from people.visibility import is_manager_or_admin, visible_people


class OwnerChoiceField(forms.ModelChoiceField):
    """A user select that shows people by name, not by username."""

    def label_from_instance(self, obj) -> str:
        return display_name(obj)


def offer_owners(form: forms.Form, user, name: str = "owner") -> None:
    """Managers and admins pick the owner among the people they see, themselves by default.

    A rep's records are always their own, so a rep gets no owner field at all.
    """
    if is_manager_or_admin(user):
        form.fields[name].queryset = visible_people(user)
        form.initial.setdefault(name, user.pk)
    else:
        del form.fields[name]
