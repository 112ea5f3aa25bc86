import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template

from people.names import display_name, name_from_parts


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [("Ada", "Lovelace", "Ada Lovelace"), ("Ada", "", "Ada"), ("", "Lovelace", "Lovelace"), ("", "", "ada")],
)
def test_a_row_read_with_values_is_named_like_the_user_it_comes_from(first, last, expected):
    user = get_user_model()(username="ada", first_name=first, last_name=last)
    assert display_name(user) == expected
    assert name_from_parts(first, last, "ada") == expected


def test_no_user_has_an_empty_name():
    assert display_name(None) == ""


@pytest.mark.parametrize(("first", "expected"), [("Ada", "Ada Lovelace"), ("", "ada")])
def test_templates_name_a_person_by_the_same_rule(first, expected):
    user = get_user_model()(username="ada", first_name=first, last_name="Lovelace" if first else "")
    rendered = Template("{% load people %}[{{ user|display_name }}][{{ nobody|display_name }}]").render(
        Context({"user": user, "nobody": None})
    )
    assert rendered == f"[{expected}][]"
