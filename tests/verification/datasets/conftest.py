"""Datasets' fixtures: a second data administrator (approves what the first uploaded), file
builders, and a helper that uploads then runs the validation as the worker would."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from core.roles import Role
from tests.factories import UserFactory, make_id_number, region
from verification.datasets import importing, services
from verification.models import DatasetSnapshot

TODAY = dt.date(2026, 12, 3)
BANK_HEADER = ["公民身份号码", "姓名", "开户银行", "存款余额（元）"]


@pytest.fixture(autouse=True)
def _media_and_today(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with time_machine.travel(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture(autouse=True)
def _eager_tasks():  # type: ignore[no-untyped-def]
    """.delay() runs in-process (when the on-commit callbacks are executed)."""
    from config.celery import app as celery_app

    old = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = old


@pytest.fixture
def data_admin_2(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="data_admin_2", role=Role.DATA_ADMIN, region=region("440700"))


@pytest.fixture
def county_admin(db):  # type: ignore[no-untyped-def]
    """A data administrator attached to a county (台山市): not city level."""
    return UserFactory(username="da_taishan", role=Role.DATA_ADMIN, region=region("440781"))


def ids(n: int) -> list[str]:
    return [make_id_number(dt.date(1950, 1, 1) + dt.timedelta(days=i)) for i in range(n)]


def bank_rows(n: int, *, bad: int = 0) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [i, f"张{k}", "农业银行", f"{1000 + k}.50"] for k, i in enumerate(ids(n))
    ]
    for k in range(bad):
        rows[k][0] = "110105194912310021"  # wrong check character
    return rows


def csv_bytes(header: list[str], rows: Iterable[list[Any]], *, encoding: str = "utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(
    by: Any,
    content: bytes,
    *,
    name: str = "bank.csv",
    kind: str = "bank_deposit",
    as_of: dt.date = dt.date(2026, 11, 30),
) -> DatasetSnapshot:
    return services.dataset_upload(
        kind=kind, as_of=as_of, file=SimpleUploadedFile(name, content), by=by
    )


def validated(by: Any, content: bytes, **kw: Any) -> DatasetSnapshot:
    snapshot = upload(by, content, **kw)
    importing.snapshot_validate(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot
