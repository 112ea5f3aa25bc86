"""Importing the product catalogue: a row updates the product with its external id, else its name."""

from django.utils.translation import gettext as _

from dataio.imports.engine import Row, clean_external_id
from dataio.imports.records import Plan, _SimpleImporter
from sales.models import Product

# Blank text cells clear the field; a blank price or active flag keeps what the product has.
_TEXT = ("category", "series")


class ProductImporter(_SimpleImporter):
    model = Product
    simple_fields = ("name", "category", "series", "list_price", "active")

    def load_existing(self) -> None:
        # The catalogue is hundreds of rows, not millions: one query, matched in Python by name
        # without regard to case, as the product lookup of the other kinds does.
        products = list(Product.objects.order_by("pk"))
        self.existing = {p.external_id: p for p in products if p.external_id}
        self.by_name = {p.name.casefold(): p for p in products}
        self.names_in_file: dict[str, int] = {}

    def check_row(self, row: Row) -> Plan | None:
        ext = clean_external_id(row, self.seen_ids)
        values = self.simple_values(row)
        name = values.get("name")
        if name is None:
            return None
        key = name.casefold()
        if key in self.names_in_file:
            row.fail("name", _("The same product is on row %(n)s.") % {"n": self.names_in_file[key]})
        self.names_in_file.setdefault(key, row.number)
        existing = self.existing.get(ext) if ext else None
        named = self.by_name.get(key)
        if existing is None and named is not None:
            if ext and named.external_id and named.external_id != ext:
                row.fail(
                    "name",
                    _("A product of this name has another external id (%(id)s).") % {"id": named.external_id},
                )
            existing = named
        elif existing is not None and named is not None and named.pk != existing.pk:
            row.fail("name", _("Another product is already called “%(name)s”.") % {"name": named.name})
        for field in _TEXT:
            if field in values and values[field] is None:
                values[field] = ""
        values = {k: v for k, v in values.items() if v is not None}
        if ext:
            values["external_id"] = ext
        return self.finish(row, existing, values)
