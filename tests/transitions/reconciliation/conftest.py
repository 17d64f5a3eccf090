"""Builders of the reconciliation tests: inbound files as CSV bytes, received and imported
synchronously (the task's body), on a fixed day (2027-01-05, the period 2026-12)."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exports import write_csv
from core.roles import Role
from households.models import Household, Relation
from poverty.models import PovertyRecord
from transitions.models import InboundBatch
from transitions.reconciliation import inbound

from ...assistance.conftest import on_day
from ...factories import UserFactory, region

DAY = dt.date(2027, 1, 5)
REGISTER_HEADERS = [
    "姓名",
    "身份证号",
    "户编号",
    "户主身份证号",
    "家庭人口数",
    "贫困户状态",
    "行政区划代码",
    "人均月收入",
]
INSURANCE_HEADERS = ["姓名", "身份证号", "参保状态"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def ss_city(db):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="ss_city", role=Role.SOCIAL_SECURITY_OFFICER, region=region("440700")
    )


def csv_file(headers, rows, name="register.csv") -> SimpleUploadedFile:  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, write_csv(rows, headers=headers))


def register_rows(household: Household, *, income="100", status="在册", names=None):  # type: ignore[no-untyped-def]
    """The national register's rows for our household as it is (names overridable)."""
    members = list(household.memberships.filter(end_date__isnull=True).select_related("person"))
    head = next(m.person for m in members if m.relation == Relation.HEAD)
    out = []
    for m in members:
        name = (names or {}).get(m.person.id_number, m.person.name)
        out.append(
            [
                name,
                m.person.id_number,
                f"N{household.pk}",
                head.id_number,
                str(len(members)),
                status,
                household.village.code,
                income,
            ]
        )
    return out


def receive(stream, rows, *, by, sequence=1, sender=None, headers=None, name=None, **kw):  # type: ignore[no-untyped-def]
    headers = headers or (REGISTER_HEADERS if stream == "national_register" else INSURANCE_HEADERS)
    sender = sender or ("national_register" if stream == "national_register" else "social_security")
    upload = csv_file(headers, rows, name or f"{stream}_{sequence}.csv")
    with on_day(DAY):
        return inbound.inbound_batch_receive(
            stream=stream,
            sender=sender,
            period="2026-12",
            sequence=sequence,
            upload=upload,
            by=by,
            **kw,
        )


def imported(stream, rows, *, by, sequence=1, **kw) -> InboundBatch:  # type: ignore[no-untyped-def]
    batch = receive(stream, rows, by=by, sequence=sequence, **kw)
    with on_day(DAY):
        inbound.inbound_batch_import(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def register(household: Household, status=PovertyRecord.Status.REGISTERED) -> PovertyRecord:  # type: ignore[no-untyped-def]
    return PovertyRecord.objects.create(
        household=household, status=status, registered_on=dt.date(2020, 1, 1)
    )


__all__ = ["io"]
