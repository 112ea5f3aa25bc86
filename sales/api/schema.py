"""The error answers every API operation can give, added to the OpenAPI schema in one place.

DRF answers the same few shapes everywhere: ``{"detail": "..."}`` for authentication, permission,
not found, method, media type, conflicts and throttling, and ``{"field": ["message", ...]}`` (or
``detail`` / ``non_field_errors``) for invalid input. Documenting them per view would repeat the
same lines on every operation and miss some; a drf-spectacular postprocessing hook documents
each answer on the operations that can give it.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "Why the request was refused.",
}
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {},
    "description": (
        "What is wrong with the request: for each field in error its messages (a list of text, or "
        "of such objects for nested fields); `detail` or `non_field_errors` for the request as a whole."
    ),
}

WRITES = {"post", "put", "patch"}


def _answer(responses: dict, code: str, component: str, description: str, *, replace: bool = False) -> None:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}
    if code in responses and not replace:
        return
    previous = responses.get(code, {}).get("description")
    responses[code] = {"content": content, "description": previous or description}


def document_error_answers(result: dict, generator, request, public) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            signed_in = operation.get("security") and {} not in operation["security"]
            queries = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if method in WRITES or queries or "400" in responses:
                # Whatever a view documented for 400, DRF's validation answers have this shape.
                _answer(responses, "400", "ValidationError", "The request is not valid.", replace=True)
            if signed_in:
                _answer(responses, "401", "Error", "Not signed in, or the token is not valid.")
                _answer(responses, "403", "Error", "Not allowed to this user.")
            if "{id}" in path or (method == "get" and queries):
                # An id the user may not see; on lists, a page past the last.
                _answer(responses, "404", "Error", "No such record (or page) for this user.")
            if method == "delete":
                _answer(responses, "409", "Error", "The record is still used by other records.")
            if method in WRITES and signed_in:
                _answer(
                    responses, "409", "Error", "A unique value was taken meanwhile, or the record changed."
                )
            if method in WRITES:
                _answer(responses, "415", "Error", "The body's media type is not accepted.")
            _answer(responses, "406", "Error", "No answer in an accepted media type.")
            if not signed_in:
                _answer(responses, "429", "Error", "Too many attempts; try again later.")
    return result


class _RequestTextExtension(OpenApiSerializerFieldExtension):
    """A field's schema as drf-spectacular makes it, narrowed by ``narrow`` where the field is text
    the client sends. Matches nothing itself (no ``target_class``)."""

    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction != "request" or self.target.read_only or schema.get("type") != "string":
            return schema
        return self.narrow(schema, self.target)

    def narrow(self, schema: dict, field) -> dict:
        raise NotImplementedError


class DecimalFieldExtension(_RequestTextExtension):
    """Money and percentages as the API reads them: at least one digit, no sign when the field
    refuses negatives, and at most 100 for a percentage capped there."""

    target_class = "rest_framework.fields.DecimalField"

    def narrow(self, schema: dict, field) -> dict:
        if field.max_whole_digits is None:
            return schema
        whole, places = field.max_whole_digits, field.decimal_places
        fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
        sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
        digits = rf"\d{{1,{max(whole, 1)}}}"
        if field.max_value is not None and field.max_value == 100 and sign == "" and places:
            schema["pattern"] = rf"^(?:100(?:\.0{{1,{places}}})?|\d{{1,2}}{fraction})$"
        else:
            schema["pattern"] = rf"^{sign}{digits}{fraction}$"
        return schema


class CharFieldExtension(_RequestTextExtension):
    """Text the API accepts: never a NUL character, and not only spaces where it may not be blank
    (surrounding spaces are trimmed before that is checked)."""

    target_class = "rest_framework.fields.CharField"

    def narrow(self, schema: dict, field) -> dict:
        if {"format", "pattern", "enum"} & set(schema):
            return schema
        if field.allow_blank or not field.trim_whitespace:
            # drf-spectacular adds "or blank" itself for a blank-allowed field with a pattern.
            schema["pattern"] = r"^[^\x00]+$"
        else:
            schema["pattern"] = r"^[^\x00]*[^\s\x00][^\x00]*$"
        return schema
