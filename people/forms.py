"""Form fields that pick a person."""

from django import forms

from people.names import display_name


class OwnerChoiceField(forms.ModelChoiceField):
    """A user select that shows people by name, not by username."""

    def label_from_instance(self, obj) -> str:
        return display_name(obj)
