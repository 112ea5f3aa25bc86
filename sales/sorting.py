"""Sortable column headers for the list pages."""


def sort_columns(columns, sort: str, *, show_owner: bool) -> list[dict]:
    """Header cells for ``columns`` ((key, label, is_number) triples) under the current ``sort``.

    A first click sorts ascending, the next one flips it; the owner column is for those who see
    other people's records.
    """
    out = []
    for key, label, num in columns:
        if key == "owner" and not show_owner:
            continue
        active = sort.lstrip("-") == key
        descending = active and sort.startswith("-")
        out.append(
            {
                "key": key,
                "label": label,
                "num": num,
                "active": active,
                "descending": descending,
                "next": f"-{key}" if active and not descending else key,
            }
        )
    return out
