"""/api/schema/ documents each list's filters: every field of an endpoint's FilterSet is one of its
query parameters, typed, so a filter added to a list is documented with it."""

import pytest

from crm.filters import IdFilter
from sales.api.urls import router

FILTERED = [
    (f"/api/{prefix}/", viewset.filterset_class)
    for prefix, viewset, _basename in router.registry
    if getattr(viewset, "filterset_class", None)
]


def test_every_list_that_filters_is_checked():
    paths = {path for path, _filterset in FILTERED}
    lists = {"customers", "contacts", "deals", "activities", "sales-records", "plans"}
    assert paths == {f"/api/{name}/" for name in lists}


@pytest.mark.parametrize(("path", "filterset"), FILTERED)
def test_the_schema_lists_every_filter_of_a_list_as_a_parameter(api, path, filterset):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parameters = schema["paths"][path]["get"]["parameters"]
    query = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
    assert set(filterset.base_filters) <= set(query)
    for name, filter_ in filterset.base_filters.items():
        if isinstance(filter_, IdFilter):
            assert query[name]["type"] == "integer", name
