"""Household/person spreadsheet import (households.importing, households.resources, admin).

All or nothing: every bad-input case asserts the specific message *and* that no household,
person or membership was written."""

import csv
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from core.roles import Role
from households import importing
from households.importing import ImportReport, households_import, read_spreadsheet
from households.models import Household, Membership, Person, Relation, SeriousIllness
from households.resources import COLUMNS, COLUMNS_BY_KEY, PersonResource
from tests.factories import PersonFactory, UserFactory, region, unique_id_number

HEADERS = [c.header for c in COLUMNS]
REQUIRED = [c.header for c in COLUMNS if c.required]


@pytest.fixture(autouse=True)
def _english():
    # Messages are English msgids wrapped in gettext; pin the language so the assertions hold
    # whatever the Chinese catalogue says.
    with translation.override("en"):
        yield


def person_row(key, village, relation="户主", **extra):
    row = {
        "户编号": key,
        "村居代码": village.code,
        "地址": f"幸福路{key}号",
        "户口性质": "城镇",
        "与户主关系": relation,
        "姓名": "张三",
        "身份证号": unique_id_number(),
    }
    row.update(extra)
    return row


def households_rows(village, households=3, members=2):
    rows = []
    for h in range(1, households + 1):
        rows.append(person_row(str(h), village, "户主", 姓名=f"户主{h}"))
        for m in range(1, members):
            rows.append(person_row(str(h), village, "子女", 姓名=f"子女{h}-{m}"))
    return rows


def csv_bytes(rows, headers=HEADERS, encoding="utf-8-sig"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in headers] if isinstance(r, dict) else r)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=HEADERS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers] if isinstance(r, dict) else list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def counts():
    return Household.objects.count(), Person.objects.count(), Membership.objects.count()


def run(user, content, filename="户籍.csv", **kwargs):
    return households_import(by=user, content=content, filename=filename, **kwargs)


def assert_nothing_written(before):
    assert counts() == before


def errors_of(report):
    return [(e.row, e.column, e.message) for e in report.errors]


# ---------------------------------------------------------------------------------------------
# Good files


@pytest.mark.django_db
class TestGoodFiles:
    def test_csv_creates_households_members_and_history(self, data_admin, village_a):
        illness = SeriousIllness.objects.create(name="尿毒症")
        rows = households_rows(village_a, households=3, members=2)
        rows[1].update(
            {
                "联系电话": "13800000001",
                "残疾类别": "肢体",
                "残疾等级": "2级",
                "重病": "尿毒症",
                "在校学生": "是",
                "就业状况": "不适用",
                "开户银行": "江门农商银行",
                "银行账号": "6200 0000 0000 0000 123",
            }
        )
        h0, p0, m0 = counts()
        report = run(data_admin, csv_bytes(rows))
        assert report.ok, errors_of(report)
        assert (report.households, report.persons, report.rows) == (3, 6, 6)
        assert counts() == (h0 + 3, p0 + 6, m0 + 6)

        head = Person.objects.get(id_number=rows[0]["身份证号"])
        child = Person.objects.get(id_number=rows[1]["身份证号"])
        membership = head.memberships.get()
        household = membership.household
        assert membership.relation == Relation.HEAD and membership.end_date is None
        assert child.memberships.get().household == household
        assert child.memberships.get().relation == Relation.CHILD
        assert household.village == village_a and household.address == "幸福路1号"
        assert household.hukou_type == Household.Hukou.URBAN
        assert head.region == village_a
        assert (child.disability_category, child.disability_grade) == ("physical", 2)
        assert child.serious_illness == illness and child.in_school is True
        assert child.employment_status == "n/a" and child.phone == "13800000001"
        assert child.bank_account == "6200000000000000123"
        assert head.employment_status == "n/a"  # blank → the model default
        # The audit history names the importing user.
        assert household.history.get().history_user == data_admin
        assert head.history.first().history_user == data_admin
        assert membership.history.first().history_user == data_admin

    def test_xlsx_with_numeric_cells_and_blank_rows(self, data_admin, village_a):
        rows = households_rows(village_a, households=2, members=2)
        rows[0]["村居代码"] = int(village_a.code)  # Excel typed it as a number
        rows[0]["户编号"] = 1
        rows[1]["户编号"] = 1
        rows[1]["联系电话"] = 13800000002
        content = xlsx_bytes([rows[0], rows[1], {}, rows[2], rows[3]])
        h0, p0, _m0 = counts()
        report = run(data_admin, content, "户籍.xlsx")
        assert report.ok, errors_of(report)
        assert (report.households, report.persons) == (2, 4)
        assert counts()[:2] == (h0 + 2, p0 + 4)
        assert Person.objects.get(id_number=rows[1]["身份证号"]).phone == "13800000002"

    def test_household_columns_may_be_left_empty_on_member_rows(self, data_admin, village_a):
        rows = households_rows(village_a, households=1, members=3)
        for r in rows[1:]:
            r.update({"村居代码": "", "地址": "", "户口性质": ""})
        report = run(data_admin, csv_bytes(rows))
        assert report.ok, errors_of(report)
        assert Household.objects.get().memberships.count() == 3

    def test_gbk_csv_is_decoded(self, data_admin, village_a):
        rows = households_rows(village_a, households=1, members=2)
        h0 = Household.objects.count()
        report = run(data_admin, csv_bytes(rows, encoding="gbk"))
        assert report.ok, errors_of(report)
        assert report.encoding == "gb18030"
        assert Household.objects.count() == h0 + 1
        assert Person.objects.filter(name="户主1").exists()

    def test_dry_run_checks_but_writes_nothing(self, data_admin, village_a):
        before = counts()
        report = run(data_admin, csv_bytes(households_rows(village_a)), dry_run=True)
        assert report.ok and report.households == 3
        assert_nothing_written(before)


# ---------------------------------------------------------------------------------------------
# Bad rows: a specific message, nothing written


@pytest.mark.django_db
class TestBadRows:
    def test_wrong_check_digit(self, data_admin, village_a):
        rows = households_rows(village_a, households=2)
        good = rows[3]["身份证号"]
        wrong = good[:17] + ("0" if good[17] != "0" else "1")
        rows[3]["身份证号"] = wrong
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert not report.ok
        assert errors_of(report) == [
            (
                5,
                "身份证号",
                f"The check character is wrong: it should be {good[17]}. "
                "Please re-check the number.",
            )
        ]
        assert_nothing_written(before)

    def test_duplicate_id_in_the_same_household(self, data_admin, village_a):
        rows = households_rows(village_a, households=1, members=2)
        rows[1]["身份证号"] = rows[0]["身份证号"]
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (3, "身份证号", "This ID number already appears in row 2 of the same household.")
        ]
        assert_nothing_written(before)

    def test_second_active_household_within_the_file(self, data_admin, village_a):
        rows = households_rows(village_a, households=2, members=2)
        rows[3]["身份证号"] = rows[1]["身份证号"]  # household 2's child is household 1's child
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (
                5,
                "身份证号",
                "This person is already in household 1 (row 3) of this file; "
                "a person can be an active member of only one household.",
            )
        ]
        assert_nothing_written(before)

    def test_second_active_household_against_the_database(self, data_admin, village_a, household_a):
        member = household_a.memberships.first().person
        rows = households_rows(village_a, households=1, members=2)
        rows[1]["身份证号"] = member.id_number
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (
                3,
                "身份证号",
                f"The person with ID number {member.id_number} is already an active member of "
                "a registered household; a person can be an active member of only one household.",
            )
        ]
        assert_nothing_written(before)

    def test_duplicate_id_against_a_registered_person_without_household(
        self, data_admin, village_a
    ):
        loner = PersonFactory()
        rows = households_rows(village_a, households=1, members=1)
        rows[0]["身份证号"] = loner.id_number.lower()  # normalised before the comparison
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        [(row, column, message)] = errors_of(report)
        assert (row, column) == (2, "身份证号")
        assert message.startswith(
            f"A person with ID number {loner.id_number} is already registered"
        )
        assert_nothing_written(before)

    def test_village_outside_the_importers_scope(self, village_a, village_taicheng):
        pengjiang_admin = UserFactory(
            username="da_pengjiang", role=Role.DATA_ADMIN, region=region("440703")
        )
        rows = [*households_rows(village_a, households=1), person_row("2", village_taicheng)]
        before = counts()
        report = run(pengjiang_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (4, "村居代码", "台城甲村 (440781001201) is outside your area of responsibility.")
        ]
        assert_nothing_written(before)

    def test_unknown_and_non_village_codes(self, data_admin, village_a):
        rows = [
            person_row("1", village_a, 村居代码="440703002999"),
            person_row("2", village_a, 村居代码="44070300"),
            person_row("3", village_a, 村居代码="440703002"),
        ]
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (2, "村居代码", "No village or community has the code 440703002999."),
            (3, "村居代码", "A village or community code has 12 digits."),
            (4, "村居代码", "A village or community code has 12 digits."),
        ]
        assert_nothing_written(before)

    def test_household_without_head_and_with_two_heads(self, data_admin, village_a):
        rows = [
            person_row("A", village_a, "配偶"),
            person_row("A", village_a, "子女"),
            person_row("B", village_a, "户主"),
            person_row("B", village_a, "本人"),  # an alias of 户主
        ]
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (2, "与户主关系", "Household A has no head (户主)."),
            (5, "与户主关系", "Household B already has a head in row 4."),
        ]
        assert_nothing_written(before)

    def test_rows_of_one_household_must_agree(self, data_admin, village_a, village_b):
        rows = households_rows(village_a, households=1, members=2)
        rows[1]["地址"] = "另一条路9号"
        rows[1]["村居代码"] = village_b.code
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, "村居代码"), (3, "地址")]
        assert all("Differs from row 2 of the same household 1" in e.message for e in report.errors)
        assert_nothing_written(before)

    def test_bad_cell_values(self, data_admin, village_a):
        rows = households_rows(village_a, households=1, members=2)
        rows[0].update({"户口性质": "外地", "在校学生": "也许"})
        rows[1].update({"与户主关系": "邻居", "残疾类别": "肢体", "残疾等级": "5级", "姓名": ""})
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        got = {(e.row, e.column): e.message for e in report.errors}
        assert set(got) == {
            (2, "户口性质"),
            (2, "在校学生"),
            (3, "与户主关系"),
            (3, "残疾等级"),
            (3, "姓名"),
        }
        assert got[(2, "户口性质")] == "“外地” is not one of: 城镇、农村."
        assert got[(2, "在校学生")] == "Write 是 or 否."
        assert got[(3, "与户主关系")].startswith("“邻居” is not one of: 户主、配偶")
        assert got[(3, "残疾等级")] == "The disability grade is 1, 2, 3 or 4."
        assert got[(3, "姓名")] == "This field is required."
        assert_nothing_written(before)

    def test_unknown_serious_illness(self, data_admin, village_a):
        rows = households_rows(village_a, households=1, members=1)
        rows[0]["重病"] = "感冒"
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [(2, "重病", "“感冒” is not in the list of serious illnesses.")]
        assert_nothing_written(before)

    def test_disability_category_and_grade_go_together(self, data_admin, village_a):
        rows = households_rows(village_a, households=2, members=2)
        rows[3]["残疾类别"] = "视力"
        rows[2]["残疾等级"] = "一级"
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (4, "残疾类别", "Give both the disability category and the grade, or neither."),
            (5, "残疾等级", "Give both the disability category and the grade, or neither."),
        ]
        assert_nothing_written(before)

    def test_service_error_rolls_back_households_already_written(
        self, data_admin, village_a, household_a, monkeypatch
    ):
        # With the duplicate pre-check switched off, the service itself rejects the second
        # household's member: its error lands on that row, and household 1 (written first,
        # in the same transaction) is rolled back with it.
        monkeypatch.setattr(importing, "_check_id_numbers", lambda groups, err: None)
        taken = household_a.memberships.first().person.id_number
        rows = households_rows(village_a, households=2, members=2)
        rows[3]["身份证号"] = taken
        before = counts()
        report = run(data_admin, csv_bytes(rows))
        assert errors_of(report) == [
            (5, "身份证号", f"A person with ID number {taken} is already registered.")
        ]
        assert report.households == report.persons == 0
        assert_nothing_written(before)

    def test_service_errors_map_back_to_row_and_column(self, data_admin, village_a):
        # What the service raises (members.<i>.<field>, household fields) lands on the member's
        # row and the matching column.
        rows = households_rows(village_a, households=1, members=3)
        report = ImportReport()
        sheet = read_spreadsheet(csv_bytes(rows), "a.csv")

        def err(row, key, message):
            report.add(row, COLUMNS_BY_KEY[key].header if key else "", message)

        parsed = importing._clean_rows(
            sheet,
            {h: (c.key, i) for i, (h, c) in enumerate(zip(HEADERS, COLUMNS, strict=True))},
            PersonResource(user=data_admin),
            report,
        )
        groups = importing._group(parsed, err)
        importing._map_service_errors(
            groups[0],
            ValidationError(
                {
                    "members.2.id_number": ["dup"],
                    "members.1.person": ["active elsewhere"],
                    "address": ["no address"],
                    "members": ["one head"],
                }
            ),
            err,
        )
        assert sorted(errors_of(report)) == [
            (2, "与户主关系", "one head"),
            (2, "地址", "no address"),
            (3, "身份证号", "active elsewhere"),
            (4, "身份证号", "dup"),
        ]

    def test_float_id_number_from_excel_has_lost_digits(self, data_admin, village_a):
        rows = households_rows(village_a, households=1, members=1)
        rows[0]["身份证号"] = float(rows[0]["身份证号"][:17] + "1")
        before = counts()
        report = run(data_admin, xlsx_bytes(rows), "a.xlsx")
        [(row, column, message)] = errors_of(report)
        assert (row, column) == (2, "身份证号")
        assert "lost digits" in message
        assert_nothing_written(before)

    def test_ten_percent_bad_rows_are_all_reported(self, data_admin, village_a):
        rows = households_rows(village_a, households=25, members=2)  # 50 rows: spreadsheet 2–51
        assert len(rows) == 50
        bad = {
            7: ("身份证号", None),
            18: ("与户主关系", "邻居"),
            29: ("姓名", ""),
            40: ("残疾等级", "9"),
            51: ("户口性质", "外星"),
        }
        for row_number, (column, value) in bad.items():
            r = rows[row_number - 2]
            if value is None:
                r[column] = r[column][:17] + ("0" if r[column][17] != "0" else "1")
            else:
                r[column] = value
        before = counts()
        for content, name in ((csv_bytes(rows), "a.csv"), (xlsx_bytes(rows), "a.xlsx")):
            report = run(data_admin, content, name)
            assert report.bad_rows == sorted(bad), errors_of(report)
            assert {(e.row, e.column) for e in report.errors} == {
                (n, c) for n, (c, _v) in bad.items()
            }
            assert report.households == report.persons == 0
            assert_nothing_written(before)

    def test_row_numbers_count_blank_lines_in_csv(self, data_admin, village_a):
        rows = households_rows(village_a, households=2, members=1)
        rows[1]["与户主关系"] = "邻居"
        text = csv_bytes(rows).decode("utf-8-sig")
        lines = text.splitlines()
        content = "\r\n".join([lines[0], lines[1], "", "", lines[2]]).encode()
        report = run(data_admin, content)
        assert report.bad_rows == [5]


# ---------------------------------------------------------------------------------------------
# Malformed files


@pytest.mark.django_db
class TestMalformedFiles:
    def test_missing_required_columns(self, data_admin, village_a):
        headers = [h for h in HEADERS if h not in ("身份证号", "与户主关系")]
        before = counts()
        report = run(data_admin, csv_bytes(households_rows(village_a), headers=headers))
        assert errors_of(report) == [
            (
                1,
                "",
                "The required columns 与户主关系、身份证号 are missing. The first row must hold "
                "the column headers; download the template to see them.",
            )
        ]
        assert_nothing_written(before)

    def test_optional_columns_may_be_absent_and_headers_tolerate_marks(self, data_admin, village_a):
        headers = [f" {h} *" for h in REQUIRED]
        rows = households_rows(village_a, households=1)
        content = csv_bytes([[r[h] for h in REQUIRED] for r in rows], headers=headers)
        report = run(data_admin, content)
        assert report.ok, errors_of(report)

    @pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
    def test_empty_file(self, data_admin, content):
        before = counts()
        report = run(data_admin, content)
        assert errors_of(report) == [(0, "", "The file is empty.")]
        assert_nothing_written(before)

    def test_headers_only(self, data_admin):
        for content, name in ((csv_bytes([]), "a.csv"), (xlsx_bytes([]), "a.xlsx")):
            report = run(data_admin, content, name)
            assert errors_of(report) == [(0, "", "The file has column headers but no data rows.")]

    def test_undecodable_csv(self, data_admin):
        before = counts()
        report = run(data_admin, b"\xff\xfe" + "户编号".encode("utf-16-le"))
        [(row, _column, message)] = errors_of(report)
        assert row == 0 and "CSV UTF-8" in message
        assert_nothing_written(before)

    def test_damaged_xlsx_and_old_xls(self, data_admin):
        report = run(data_admin, b"PK\x03\x04 not really a zip", "a.xlsx")
        assert errors_of(report) == [
            (0, "", "The file could not be read as an Excel workbook (.xlsx).")
        ]
        report = run(data_admin, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 50, "a.xls")
        assert "xls" in report.errors[0].message
        report = run(data_admin, b"%PDF-1.4", "a.pdf")
        assert errors_of(report) == [
            (0, "", "Upload an Excel workbook (.xlsx) or a CSV file (.csv).")
        ]

    def test_row_with_more_cells_than_headers(self, data_admin, village_a):
        rows = households_rows(village_a, households=1, members=1)
        content = csv_bytes(rows).decode("utf-8-sig").rstrip("\r\n") + ",多余\r\n"
        report = run(data_admin, content.encode())
        assert errors_of(report) == [
            (0, "", "Rows 2 have more cells than there are column headers.")
        ]


# ---------------------------------------------------------------------------------------------
# Permission


@pytest.mark.django_db
def test_only_importers_may_import(cw_baisha, village_a):
    before = counts()
    with pytest.raises(PermissionDenied):
        run(cw_baisha, csv_bytes(households_rows(village_a)))
    assert_nothing_written(before)


# ---------------------------------------------------------------------------------------------
# Export with the same headers


@pytest.mark.django_db
def test_export_uses_the_import_headers_and_masks_identifiers(data_admin, household_a):
    head = household_a.memberships.get(relation=Relation.HEAD).person
    head.bank_account = "6200000000001234"
    head.phone = "13812345678"
    head.save()
    data = PersonResource(user=data_admin).export(queryset=Person.objects.filter(pk=head.pk))
    assert data.headers == HEADERS
    row = dict(zip(data.headers, data[0], strict=True))
    assert row["户编号"] == str(household_a.pk)
    assert row["村居代码"] == household_a.village.code
    assert row["与户主关系"] == "户主"
    assert row["户口性质"] == "城镇"
    assert row["身份证号"] == head.id_number[:4] + "*" * 10 + head.id_number[-4:]
    assert head.id_number not in "".join(str(v) for v in data[0])
    assert row["银行账号"].endswith("1234") and "620000" not in row["银行账号"]
    assert row["联系电话"] == "138****5678"


# ---------------------------------------------------------------------------------------------
# Admin pages


@pytest.mark.django_db
class TestAdminImport:
    url = "/admin/households/person/import/"

    def test_url_name_is_kept(self):
        assert reverse("admin:households_person_import") == self.url

    def test_get_shows_form_and_template_links(self, client, data_admin):
        client.force_login(data_admin)
        resp = client.get(self.url)
        assert resp.status_code == 200
        body = resp.content.decode()
        assert 'type="file"' in body and 'name="file"' in body
        assert "import/template/?format=xlsx" in body
        for header in REQUIRED:
            assert header in body

    def test_changelist_shows_the_import_button(self, client, data_admin):
        client.force_login(data_admin)
        resp = client.get("/admin/households/person/")
        assert resp.status_code == 200
        assert self.url in resp.content.decode()

    def test_post_good_file_imports_and_redirects(self, client, data_admin, village_a):
        client.force_login(data_admin)
        h0 = Household.objects.count()
        upload = io.BytesIO(xlsx_bytes(households_rows(village_a, households=2)))
        upload.name = "户籍.xlsx"
        resp = client.post(self.url, {"file": upload})
        assert resp.status_code == 302
        assert resp["Location"] == reverse("admin:households_household_changelist")
        assert Household.objects.count() == h0 + 2
        assert Household.objects.first().history.get().history_user == data_admin

    def test_post_bad_file_shows_the_row_report(self, client, data_admin, village_a):
        client.force_login(data_admin)
        rows = households_rows(village_a, households=2)
        rows[2]["与户主关系"] = "邻居"
        upload = io.BytesIO(csv_bytes(rows))
        upload.name = "户籍.csv"
        before = counts()
        resp = client.post(self.url, {"file": upload})
        assert resp.status_code == 200
        body = resp.content.decode()
        assert 'id="import-errors"' in body
        assert body.count('class="import-error"') == 1
        assert "<td>4</td>" in body and "<td>与户主关系</td>" in body and "邻居" in body
        assert_nothing_written(before)

    def test_template_download(self, client, data_admin):
        client.force_login(data_admin)
        resp = client.get(self.url + "template/?format=xlsx")
        assert resp.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
        rows = list(ws.values)
        assert list(rows[0]) == HEADERS and len(rows) == 2
        resp = client.get(self.url + "template/?format=csv")
        assert resp.content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADERS)

    def test_template_is_itself_importable(self, client, data_admin, village_a):
        # The example row uses village 440703002201 (village_a) and a valid ID number.
        client.force_login(data_admin)
        content = client.get(self.url + "template/?format=csv").content
        report = run(data_admin, content, dry_run=True)
        assert report.ok, errors_of(report)

    def test_caseworker_gets_403(self, client, cw_baisha):
        client.force_login(cw_baisha)
        assert client.get(self.url).status_code == 403
        assert client.post(self.url, {}).status_code == 403
        assert client.get(self.url + "template/").status_code == 403

    def test_anonymous_is_sent_to_login(self, client):
        resp = client.get(self.url)
        assert resp.status_code == 302 and "/login/" in resp["Location"]

    def test_generic_row_import_is_not_routed(self):
        # import-export's own confirm step would write rows without the services.
        with pytest.raises(NoReverseMatch):
            reverse("admin:households_person_process_import")
