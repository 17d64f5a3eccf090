"""Household/person spreadsheet import (households.importing, households.resources, admin).

All or nothing: every bad-input case asserts the specific message *and* that no household,
person or membership was written."""

import csv
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from core.roles import Role
from households import importing
from households.importing import households_import
from households.models import Household, Membership, Person, Relation, SeriousIllness
from households.resources import COLUMNS, PersonResource
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

    def test_post_good_file_imports_and_redirects(
        self, client, data_admin, village_a, media, django_capture_on_commit_callbacks
    ):
        client.force_login(data_admin)
        h0 = Household.objects.count()
        upload = io.BytesIO(xlsx_bytes(households_rows(village_a, households=2)))
        upload.name = "户籍.xlsx"
        with self_eager(), django_capture_on_commit_callbacks(execute=True):
            resp = client.post(self.url, {"file": upload})
        assert resp.status_code == 302
        assert "/admin/households/person/import/" in resp["Location"]
        assert Household.objects.count() == h0 + 2
        assert Household.objects.first().history.get().history_user == data_admin
        page = client.get(resp["Location"]).content.decode()
        assert 'id="import-ok"' in page

    def test_post_bad_file_shows_the_row_report(
        self, client, data_admin, village_a, media, django_capture_on_commit_callbacks
    ):
        client.force_login(data_admin)
        rows = households_rows(village_a, households=2)
        rows[2]["与户主关系"] = "邻居"
        upload = io.BytesIO(csv_bytes(rows))
        upload.name = "户籍.csv"
        before = counts()
        with self_eager(), django_capture_on_commit_callbacks(execute=True):
            resp = client.post(self.url, {"file": upload})
        assert resp.status_code == 302
        body = client.get(resp["Location"]).content.decode()
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


# ---------------------------------------------------------------------------------------------
# Background import (issue 6, defect 13): the upload is saved, a Celery job imports it with
# progress, and its outcome (counts or the row report) is shown and downloadable.


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def upload_of(content, name="户籍.csv"):
    return SimpleUploadedFile(name, content)


def import_job_url(name, job):
    return reverse(f"admin:households_person_import_{name}", args=[job.pk])


@pytest.mark.django_db
class TestBackgroundImport:
    url = "/admin/households/person/import/"

    def test_post_returns_at_once_with_a_queued_job(
        self, client, data_admin, village_a, media, django_capture_on_commit_callbacks
    ):
        from core.models import Job
        from households.models import HouseholdImport

        client.force_login(data_admin)
        before = counts()
        content = xlsx_bytes(households_rows(village_a, households=2))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            resp = client.post(self.url, {"file": upload_of(content, "户籍.xlsx")})
        assert len(callbacks) == 1  # enqueued after commit, not run in the request
        job = Job.objects.get(kind="households.import")
        assert resp.status_code == 302 and resp["Location"] == import_job_url("job", job)
        assert job.status == Job.Status.QUEUED and job.created_by == data_admin
        assert_nothing_written(before)
        record = HouseholdImport.objects.get(job=job)
        assert record.filename == "户籍.xlsx"
        # Saved privately under MEDIA_ROOT with a random name, not the user's.
        assert record.file.path.startswith(str(media))
        assert "户籍" not in record.file.name and record.file.read() == content
        page = client.get(resp["Location"]).content.decode()
        assert 'data-testid="job-progress"' in page and "hx-get" in page
        status = client.get(import_job_url("status", job), HTTP_HX_REQUEST="true")
        assert status.status_code == 200 and "hx-get" in status.content.decode()

    def test_the_task_imports_with_progress_and_history_naming_the_user(
        self, client, data_admin, village_a, media, django_capture_on_commit_callbacks
    ):
        from core.models import Job
        from households.tasks import import_households

        client.force_login(data_admin)
        h0, p0, m0 = counts()
        content = csv_bytes(households_rows(village_a, households=3, members=2))
        with django_capture_on_commit_callbacks(execute=False):
            client.post(self.url, {"file": upload_of(content)})
        job = Job.objects.get(kind="households.import")
        with translation.override("en"):  # the request left Chinese active in this thread
            import_households.apply(args=(job.pk,))
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.message
        assert (job.progress_done, job.progress_total) == (job.progress_total, job.progress_total)
        assert job.result["ok"] and (job.result["households"], job.result["persons"]) == (3, 6)
        assert counts() == (h0 + 3, p0 + 6, m0 + 6)
        for model in (Household, Person, Membership):
            records = model.history.filter(history_change_reason="Spreadsheet import")
            assert records.count() == (3 if model is Household else 6)
            assert {r.history_user for r in records} == {data_admin}
            assert {r.history_type for r in records} == {"+"}
        head = Person.objects.filter(memberships__relation=Relation.HEAD).latest("pk")
        assert head.sex in ("M", "F") and head.birth_date and head.region == village_a
        # The uploaded file is removed once it has been read (it holds personal data).
        assert not list((media).rglob("*.csv"))
        page = client.get(import_job_url("job", job)).content.decode()
        assert 'id="import-ok"' in page and "hx-get" not in page
        fragment = client.get(import_job_url("status", job), HTTP_HX_REQUEST="true")
        assert fragment["HX-Refresh"] == "true"

    def test_a_bad_file_gives_the_row_report_and_writes_nothing(
        self, client, data_admin, village_a, media, django_capture_on_commit_callbacks
    ):
        from core.models import Job

        client.force_login(data_admin)
        rows = households_rows(village_a, households=2)
        rows[2]["与户主关系"] = "邻居"
        rows[3]["身份证号"] = "=HYPERLINK(1)"
        before = counts()
        with self_eager(), django_capture_on_commit_callbacks(execute=True):
            client.post(self.url, {"file": upload_of(csv_bytes(rows))})
        job = Job.objects.get(kind="households.import")
        assert job.status == Job.Status.DONE and job.result["ok"] is False
        assert_nothing_written(before)
        page = client.get(import_job_url("job", job)).content.decode()
        assert 'id="import-errors"' in page and page.count('class="import-error"') == 2
        assert "<td>4</td>" in page and "<td>与户主关系</td>" in page and "<td>邻居</td>" in page
        resp = client.get(import_job_url("report", job))
        assert resp.status_code == 200
        assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
        ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
        got = list(ws.values)
        assert len(got) == 3 and len(got[0]) == 4  # row, column, value, message
        assert got[1][:3] == (4, "与户主关系", "邻居")
        assert got[1][3].startswith("“邻居”不是以下可选值之一")  # the worker speaks Chinese
        assert got[2][:2] == (5, "身份证号")
        assert got[2][2] == "'=HYPERLINK(1)"  # a formula typed into the file stays text
        assert ws.cell(3, 3).data_type == "s"

    def test_another_districts_user_cannot_see_the_job_or_its_report(
        self, client, village_a, media, cw_taicheng, django_capture_on_commit_callbacks
    ):
        from core.models import Job
        from households.tasks import import_households

        pengjiang = UserFactory(
            username="da_pengjiang", role=Role.DATA_ADMIN, region=region("440703")
        )
        taishan = UserFactory(username="da_taishan", role=Role.DATA_ADMIN, region=region("440781"))
        client.force_login(pengjiang)
        with django_capture_on_commit_callbacks(execute=False):
            client.post(self.url, {"file": upload_of(csv_bytes(households_rows(village_a)))})
        job = Job.objects.get(kind="households.import")
        import_households.apply(args=(job.pk,))
        for name in ("job", "status", "report"):
            assert client.get(import_job_url(name, job)).status_code == 200
        client.force_login(taishan)
        for name in ("job", "status", "report"):
            assert client.get(import_job_url(name, job)).status_code == 404
        client.force_login(cw_taicheng)
        for name in ("job", "status", "report"):
            assert client.get(import_job_url(name, job)).status_code == 403

    def test_rows_outside_the_importers_region_are_errors(self, village_a, village_taicheng, media):
        from households.importing import household_import_start
        from households.tasks import import_households

        pengjiang = UserFactory(
            username="da_pengjiang", role=Role.DATA_ADMIN, region=region("440703")
        )
        rows = [*households_rows(village_a, households=1), person_row("2", village_taicheng)]
        before = counts()
        job = household_import_start(upload=upload_of(csv_bytes(rows)), dry_run=False, by=pengjiang)
        import_households.apply(args=(job.pk,))
        job.refresh_from_db()
        assert job.result["ok"] is False
        assert [(e["row"], e["column"]) for e in job.result["errors"]] == [(4, "村居代码")]
        assert job.region == pengjiang.region
        assert_nothing_written(before)

    def test_the_task_rechecks_authorisation(self, data_admin, village_a, media):
        from core.models import Job
        from households.importing import household_import_start
        from households.tasks import import_households

        job = household_import_start(
            upload=upload_of(csv_bytes(households_rows(village_a))), dry_run=False, by=data_admin
        )
        data_admin.role = Role.CASEWORKER  # lost the import permission since the upload
        data_admin.save()
        before = counts()
        import_households.apply(args=(job.pk,))
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and job.message
        assert_nothing_written(before)

    def test_a_finished_job_is_not_run_again(self, data_admin, village_a, media):
        from core.models import Job
        from households.importing import household_import_start
        from households.tasks import import_households

        job = household_import_start(
            upload=upload_of(csv_bytes(households_rows(village_a))), dry_run=False, by=data_admin
        )
        import_households.apply(args=(job.pk,))
        after = counts()
        import_households.apply(args=(job.pk,))  # a redelivered message
        assert counts() == after
        job.refresh_from_db()
        assert job.status == Job.Status.DONE and job.result["households"] == 3
        assert import_households.acks_late

    def test_a_crash_marks_the_job_failed(self, data_admin, village_a, media, monkeypatch):
        from core.models import Job
        from households.importing import household_import_start
        from households.tasks import import_households

        job = household_import_start(
            upload=upload_of(csv_bytes(households_rows(village_a))), dry_run=False, by=data_admin
        )

        def boom(**kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(importing, "households_import", boom)
        before = counts()
        import_households.apply(args=(job.pk,))
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and job.finished_at
        assert "disk on fire" not in job.message and job.message
        assert_nothing_written(before)


def self_eager():
    """Run .delay() in-process for a block (CELERY_TASK_ALWAYS_EAGER)."""
    import contextlib

    from config.celery import app

    @contextlib.contextmanager
    def block():
        old = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            yield
        finally:
            app.conf.task_always_eager = old

    return block()


@pytest.mark.django_db
def test_import_queries_do_not_grow_with_the_rows(data_admin, village_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    SeriousIllness.objects.create(name="尿毒症")
    small = households_rows(village_a, households=10, members=2)  # 20 rows
    large = households_rows(village_a, households=100, members=2)  # 200 rows
    large[5]["重病"] = small[5]["重病"] = "尿毒症"
    found = []
    for rows in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            report = run(data_admin, csv_bytes(rows))
        assert report.ok, errors_of(report)
        found.append(len(ctx.captured_queries))
    assert found[0] == found[1], found
    # A fixed set of statements: the staging table and its COPY, the set-based checks, then one
    # INSERT … SELECT per table (each feeding its history rows) per batch of households.
    assert found[1] <= 30, found


@pytest.mark.django_db
def test_progress_counts_rows_checked_then_written(data_admin, village_a, monkeypatch):
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 4)
    monkeypatch.setattr(importing, "WRITE_BATCH", 5)
    steps = []
    rows = households_rows(village_a, households=5, members=2)  # 10 rows
    report = run(data_admin, csv_bytes(rows), progress=lambda d, t, m: steps.append((d, t, m)))
    assert report.ok, errors_of(report)
    assert steps == [
        (0, 0, "Reading the file"),
        (4, 20, "Checked 4 of 10 rows"),
        (8, 20, "Checked 8 of 10 rows"),
        (10, 20, "Checked 10 of 10 rows"),
        (16, 20, "Written 6 of 10 rows"),  # whole households per batch: 3 × 2 ≥ 5
        (20, 20, "Written 10 of 10 rows"),
    ]
