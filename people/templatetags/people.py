"""``{{ user|display_name }}``: templates name a person by the same rule as the code."""

from django import template

from people import names

register = template.Library()


@register.filter
def display_name(user) -> str:
    return names.display_name(user)
