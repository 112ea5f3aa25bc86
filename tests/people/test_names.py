import pytest
from django.contrib.auth import get_user_model

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
