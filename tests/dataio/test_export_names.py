"""A download whose name is not ASCII (as in the Chinese interface) is still a download."""

import pytest

from customers.models import Customer
from dataio import exports

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_named_in_chinese_is_still_an_attachment(fmt):
    response = exports.export_response(exports.CUSTOMER_COLUMNS, Customer.objects.none(), "客户", fmt)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E5%AE%A2%E6%88%B7-" in disposition


def test_an_english_export_keeps_its_plain_file_name():
    response = exports.export_response(exports.CUSTOMER_COLUMNS, Customer.objects.none(), "customers", "csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="customers-')
