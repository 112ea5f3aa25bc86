"""How a person is named on every screen, export and email: full name, else username."""


def display_name(user) -> str:
    """The user's full name, else their username; empty for no user (an import, a deleted user)."""
    if user is None:
        return ""
    return user.get_full_name() or user.username


def name_from_parts(first: str, last: str, username: str) -> str:
    """``display_name`` for a row read with ``values()``, without loading the user."""
    full = f"{first} {last}".strip()
    return full or username
