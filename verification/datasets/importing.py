"""Validating a snapshot's file: stream it, check every row, COPY the good rows into the kind's
stage table and the bad cells into ImportRowError — memory flat whatever the file size.

The whole validation is one transaction (stage rows, errors, counts, status): a worker killed
half-way leaves the snapshot "validating" with nothing staged, and the redelivered task (acks
late) starts over — after deleting whatever an earlier attempt might have left. Progress goes to
the snapshot's Job on a side connection (core.job_progress), so the page sees it meanwhile.

The hot path avoids per-cell overhead where it can: the rows are formatted as COPY text lines
by hand (no per-value adaptation) and written in blocks; psycopg sends each block while the next
is parsed (the server parses COPY in its own process). Bad cells are spooled to a temporary file
and COPYed after the rows (one COPY at a time per connection).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.job_progress import Progress, job_finish, job_progress_writer
from core.masking import mask_id_number
from core.models import Job
from households.tabular import (
    SNIFF_BYTES,
    CellError,
    csv_rows,
    detect_encoding,
    map_headers,
    workbook_rows,
)

from .. import kinds as K
from ..models import STAGE_MODELS, DatasetSnapshot, ImportLimit, ImportRowError
from .workflow import DATASET

if TYPE_CHECKING:
    from . import fastpath

logger = logging.getLogger(__name__)
S = DatasetSnapshot.Status
BLOCK_ROWS = 2000  # rows per COPY write
PROGRESS_SECONDS = 0.5
SPREADSHEETS = ("xlsx", "xls", "ods")


class FileRefused(Exception):
    """The file cannot be taken at all (empty, unreadable, wrong headers): the snapshot fails
    with this message and nothing is staged."""


# ----------------------------------------------------------------------------- COPY text


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _formatter(f: K.Field) -> Callable[[Any], str]:
    """How a cleaned value of this field is written in a COPY text line."""
    if f.clean in (K._date,):
        return lambda v: "\\N" if v is None else v.isoformat()
    if f.clean in (K._amount, K._area, K._count):
        return lambda v: "\\N" if v is None else str(v)
    # Text columns are NOT NULL (blank=True): an empty optional cell is "".
    return lambda v: "" if v is None else _escape(v)


def stage_columns(kind: K.Kind) -> list[str]:
    model = STAGE_MODELS[kind.code]
    cols = ["snapshot_id", "row_no"]
    cols += [str(model._meta.get_field(f.name).column) for f in kind.fields]  # type: ignore[union-attr]
    return cols


@dataclass(frozen=True)
class StageTarget:
    """Where validate_rows COPYs: the rows' table and columns (owner id, row number, then the
    kind's fields in order) and the bad cells' table (owner id, row, column, value, message).
    Default: the kind's stage table and ImportRowError; transitions' inbound batches give
    their own (the same reading, cleaning and row report for another owner)."""

    table: str
    columns: tuple[str, ...]
    errors_table: str
    error_columns: tuple[str, ...]


def default_target(kind: K.Kind) -> StageTarget:
    return StageTarget(
        STAGE_MODELS[kind.code]._meta.db_table,
        tuple(stage_columns(kind)),
        ImportRowError._meta.db_table,
        ("snapshot_id", "row_no", '"column"', "value", "message"),
    )


# ----------------------------------------------------------------------------- reading


class _Counting(io.RawIOBase):
    """A byte stream that counts what was read (for a progress total estimated from size)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.read_bytes = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.read_bytes += n
        return n


def _open_rows(
    snapshot: DatasetSnapshot, f: IO[bytes]
) -> tuple[Iterator[list[Any]], Callable[[int], int]]:
    """The file's rows and a function estimating the total data rows from rows read so far."""
    if snapshot.file_format in SPREADSHEETS:
        try:
            height, rows = workbook_rows(f)
        except CellError as e:
            raise FileRefused(str(e)) from e
        return rows, lambda done: max(done, height - 1)
    head = f.read(SNIFF_BYTES)
    if not head:
        raise FileRefused(_("The file is empty."))
    encoding = detect_encoding(head)
    snapshot.encoding = encoding
    f.seek(0)
    counting = _Counting(f)
    size = snapshot.size or 1

    def estimate(done: int) -> int:
        if not counting.read_bytes or not done:
            return done
        return max(done, round(done * size / counting.read_bytes))

    return csv_rows(counting, encoding=encoding), estimate  # type: ignore[arg-type]


def _blank(row: list[Any]) -> bool:
    try:
        return not "".join(row).strip()  # CSV rows: all text
    except TypeError:  # spreadsheet cells: numbers, dates, None
        return not any(c is not None and (not isinstance(c, str) or c.strip()) for c in row)


def _header(rows: Iterator[list[Any]]) -> tuple[int, list[Any]]:
    """The first non-empty row (the header) and its spreadsheet row number."""
    for n, row in enumerate(rows, start=1):
        if any(c is not None and str(c).strip() for c in row):
            return n, row
    raise FileRefused(_("The file is empty."))


# ----------------------------------------------------------------------------- the run


def _rate_message(done: int, total: int, started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = done / elapsed
    left = max(total - done, 0) / rate if rate else 0
    return _("%(done)s / %(total)s rows · %(rate)s rows/s · about %(left)s s left") % {
        "done": f"{done:,}",
        "total": f"~{total:,}",
        "rate": f"{rate:,.0f}",
        "left": f"{left:,.0f}",
    }


class _Stage:
    """Where one validation writes: the kind's stage table (COPY) and, spooled to a temporary
    file until the rows are done, the bad cells for ImportRowError (one COPY at a time per
    connection)."""

    def __init__(
        self,
        snapshot: DatasetSnapshot,
        columns: dict[str, int],
        heading: dict[str, str],
        today: dt.date,
        target: StageTarget | None = None,
    ) -> None:
        kind = snapshot.kind_spec
        self.kind, self.snapshot, self.today = kind, snapshot, today
        self.columns, self.heading = columns, heading
        self.formats = [(fl.name, _formatter(fl)) for fl in kind.fields]
        self.prefix = f"{snapshot.pk}\t"
        self.target = target or default_target(kind)
        names = ", ".join(self.target.columns)
        self.copy_text = f"COPY {self.target.table} ({names}) FROM STDIN"
        self.done = self.invalid = 0
        self.errors = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by close()
            max_size=8 << 20, mode="w+", encoding="utf-8"
        )
        raw = connection.connection
        assert raw is not None
        self.cur = raw.cursor()
        self.id_label = str(K.ID.label)
        self.labels = [str(fl.label) for fl in kind.fields]  # translated once, not per bad row

    def line(self, row_no: int, values: dict[str, Any]) -> str:
        """One staged row as a line of COPY text."""
        return (
            f"{self.prefix}{row_no}\t"
            + "\t".join([fmt(values[name]) for name, fmt in self.formats])
            + "\n"
        )

    def error_lines(self, row_no: int, bad: list[tuple[str, str, str]]) -> str:
        """The row report's lines (COPY text) for one row's bad cells."""
        lines = []
        for label, value, message in bad:
            if label == self.id_label:  # the row report is kept: no ID number in it
                value = mask_id_number(value)
            lines.append(
                f"{self.snapshot.pk}\t{row_no}\t"
                f"{_escape(self.heading.get(label, label)[:100])}\t"
                f"{_escape(value[:100].replace(chr(0), ''))}\t"
                f"{_escape(message[:255])}\n"
            )
        return "".join(lines)

    def finish(self, block: fastpath.Block) -> None:
        """A fast-path block made ready to COPY: the rows it left cleaned by the Python
        cleaners and appended to the ones it found clean."""
        clean_row, kind, today, columns = K.clean_row, self.kind, self.today, self.columns
        labels = self.labels
        out: list[str] = []
        errors: list[str] = []
        done = invalid = 0
        for row_no, row in block.slow:
            if _blank(row):
                continue
            done += 1
            values, bad = clean_row(kind, row, columns, today=today, labels=labels)
            if bad:
                invalid += 1
                errors.append(self.error_lines(row_no, bad))
            else:
                out.append(self.line(row_no, values))
        block.payload = block.fast + "".join(out).encode() if out else block.fast
        block.errors = "".join(errors)
        block.done, block.invalid = block.fast_rows + done, invalid
        block.slow = []

    def rows(
        self,
        numbered: Iterable[tuple[int, list[Any]]],
        *,
        after: int,
        tick: Callable[[], None] | None = None,
    ) -> None:
        """Rows for the Python cleaners, numbered from after + 1 (`tick` called every
        BLOCK_ROWS rows staged)."""
        clean_row, kind, today, errors = K.clean_row, self.kind, self.today, self.errors
        block: list[str] = []
        row_no = after
        with self.cur.copy(self.copy_text) as copy:
            try:
                for row_no, row in numbered:
                    if _blank(row):
                        continue  # an empty row in the middle: not a record
                    self.done += 1
                    values, bad = clean_row(
                        kind, row, self.columns, today=today, labels=self.labels
                    )
                    if bad:
                        self.invalid += 1
                        errors.write(self.error_lines(row_no, bad))
                        continue
                    block.append(self.line(row_no, values))
                    if len(block) >= BLOCK_ROWS:
                        copy.write("".join(block))
                        block.clear()
                        if tick is not None:
                            tick()
            except (UnicodeDecodeError, csv.Error) as e:
                raise FileRefused(_unreadable(self.snapshot, e, row_no)) from e
            except CellError as e:
                raise FileRefused(str(e)) from e
            if block:
                copy.write("".join(block))

    def close(self) -> None:
        """The bad cells after the rows."""
        try:
            if self.invalid:
                self.errors.seek(0)
                cols = self.target.error_columns
                with self.cur.copy(
                    f"COPY {self.target.errors_table} ({', '.join(cols)}) FROM STDIN"
                ) as copy:
                    while chunk := self.errors.read(1024 * 1024):
                        copy.write(chunk)
        finally:
            self.errors.close()
            self.cur.close()


# Tests set this False to compare the two paths on the same file.
FAST = True

# The collector's thresholds while a file is read: a collection every 50,000 allocations
# instead of 700. The rows in flight (tens of thousands of lists and strings at a time) made
# the default thresholds collect the older generations again and again — measured, two thirds
# of the Python time of a spreadsheet import. Cycles (Django's ValidationError holds itself)
# are still collected, just less often.
IMPORT_GC_THRESHOLDS = (50_000, 20, 100)


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """IMPORT_GC_THRESHOLDS for the block, the process's own thresholds restored after (a
    worker process runs one task at a time)."""
    before = gc.get_threshold()
    gc.set_threshold(*IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def validate_rows(
    snapshot: DatasetSnapshot,
    f: IO[bytes],
    *,
    today: dt.date,
    progress: Progress,
    target: StageTarget | None = None,
) -> tuple[int, int]:
    """Stage the valid rows and record the bad cells of the file; returns (rows, invalid rows).
    Runs inside the caller's transaction. Raises FileRefused for a file that cannot be taken.

    The certainly clean rows take the vectorised fast path (fastpath.py: a CSV in blocks read
    by polars; a spreadsheet's rows from calamine in batches); every other row the Python
    cleaners, which write the row report."""
    # Imported here, not at the top: web processes and the Celery parent (which forks the
    # workers) never load polars; its thread pool must not be forked once used.
    from . import fastpath

    kind = snapshot.kind_spec
    found = None
    if snapshot.file_format not in SPREADSHEETS:
        head = f.read(SNIFF_BYTES)
        if not head:
            raise FileRefused(_("The file is empty."))
        snapshot.encoding = detect_encoding(head)
        if FAST:
            found = fastpath.header_line(head, snapshot.encoding)
        f.seek(0)
    rows: Iterator[list[Any]] | None = None
    if found is not None:
        header_row, header, offset = found
    else:
        rows, estimate = _open_rows(snapshot, f)
        try:
            header_row, header = _header(rows)
        except (UnicodeDecodeError, csv.Error) as e:
            raise FileRefused(_unreadable(snapshot, e)) from e
    mapped = map_headers(header, kind.aliases, required=kind.required)
    if mapped.errors:
        raise FileRefused(" ".join(mapped.errors))
    columns = mapped.columns
    snapshot.columns = {str(header[j]).strip(): name for name, j in columns.items()}
    heading = {
        str(fl.label): str(header[columns[fl.name]]).strip()
        for fl in kind.fields
        if fl.name in columns
    }
    stage = _Stage(snapshot, columns, heading, today, target)
    started = last = time.monotonic()

    def report(total: int) -> None:
        progress(stage.done, total, _rate_message(stage.done, total, started))

    try:
        if rows is not None and not FAST:

            def tick() -> None:
                nonlocal last
                now = time.monotonic()
                if now - last >= PROGRESS_SECONDS:
                    last = now
                    report(estimate(stage.done))

            stage.rows(enumerate(rows, start=header_row + 1), after=header_row, tick=tick)
        else:
            plan = fastpath.Plan(kind, columns, len(header), snapshot_id=snapshot.pk, today=today)
            stop = threading.Event()
            if rows is not None:  # a spreadsheet (or a CSV the csv module must read)
                parts = _sheet_parts(
                    snapshot, fastpath.sheet_blocks(rows, plan, first_row=header_row + 1)
                )
                size = 0
            else:
                f.seek(offset)
                size = snapshot.size or 1
                parts = fastpath.prefetch(
                    fastpath.blocks(
                        f, plan, encoding=snapshot.encoding, first_row=header_row + 1, stop=stop
                    ),
                    stop,
                )
            # One COPY for the whole file, four things at once: the server parses block n
            # (fed by the Feeder's thread), this thread cleans the rows of block n + 1 that
            # polars left, and polars reads n + 2 in the producing thread (it releases the GIL).
            with stage.cur.copy(stage.copy_text) as copy:
                feeder = fastpath.Feeder(copy)
                try:
                    for block in parts:
                        if block.error is not None:
                            raise FileRefused(_unreadable(snapshot, block.error, block.error_row))
                        stage.finish(block)
                        if block.payload:
                            feeder.put(block.payload)
                        stage.errors.write(block.errors)
                        stage.done += block.done
                        stage.invalid += block.invalid
                        # Every PROGRESS_SECONDS, not every block: each report is a commit
                        # on the progress connection, and this thread waits for it.
                        if (now := time.monotonic()) - last < PROGRESS_SECONDS:
                            continue
                        last = now
                        if block.read_bytes:
                            report(max(stage.done, round(stage.done * size / block.read_bytes)))
                        elif rows is not None:
                            report(estimate(stage.done))
                except BaseException:
                    feeder.close(abort=True)
                    raise
                feeder.close()
    finally:
        stage.close()
    report(stage.done)
    if not stage.done:
        raise FileRefused(_("The file has a header but no data rows."))
    return stage.done, stage.invalid


def _sheet_parts(snapshot: DatasetSnapshot, blocks: Iterator[Any]) -> Iterator[Any]:
    """The blocks of rows read one at a time, a reading error as the file's refusal."""
    done = 0
    try:
        for block in blocks:
            done = block.first_row + block.records
            yield block
    except (UnicodeDecodeError, csv.Error) as e:
        raise FileRefused(_unreadable(snapshot, e, done)) from e
    except CellError as e:
        raise FileRefused(str(e)) from e


def _unreadable(snapshot: DatasetSnapshot, e: Exception, row_no: int | None = None) -> str:
    if isinstance(e, UnicodeDecodeError):
        return _(
            "The file is not valid text in the encoding %(enc)s (detected from its start) near "
            "row %(row)s: save it again as UTF-8 or GBK."
        ) % {"enc": snapshot.encoding or "?", "row": row_no or 1}
    return _("The file cannot be read as CSV near row %(row)s: %(e)s") % {
        "row": row_no or 1,
        "e": e,
    }


def delete_stage(snapshot: DatasetSnapshot) -> None:
    """The snapshot's rows in its kind's stage table."""
    table = STAGE_MODELS[snapshot.kind]._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} WHERE snapshot_id = %s", [snapshot.pk])  # noqa: S608


def delete_staged(snapshot: DatasetSnapshot) -> None:
    """Whatever an earlier attempt of this snapshot staged or reported."""
    delete_stage(snapshot)
    ImportRowError.objects.filter(snapshot=snapshot).delete()


def limit_in_force(on: dt.date) -> Decimal | None:
    row = ImportLimit.objects.in_force(on).order_by("-valid_from").first()  # type: ignore[attr-defined]
    return None if row is None else row.max_invalid_percent


def snapshot_validate(*, snapshot_id: int, final_attempt: bool = True) -> str | None:
    """The validate task's body. Idempotent: a snapshot past validation is left alone; one left
    "validating" by a killed worker starts over. Returns the status reached."""
    with transaction.atomic():
        snapshot = DatasetSnapshot.objects.select_for_update().filter(pk=snapshot_id).first()
        if snapshot is None or snapshot.status not in (S.UPLOADED, S.VALIDATING):
            return None
        retry = snapshot.status == S.VALIDATING
        DATASET.move(snapshot, "start_validation", None, _("retry") if retry else "")
        if snapshot.job_id:
            Job.objects.filter(pk=snapshot.job_id).update(
                status=Job.Status.RUNNING, message=_("Validating")
            )
    job = snapshot.job
    progress, close = job_progress_writer(job) if job else (lambda *a: None, lambda: None)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            delete_staged(snapshot)
            with snapshot.file.open("rb") as f, few_collections():
                total, invalid = validate_rows(snapshot, f, today=today, progress=progress)
            locked = DATASET.lock(snapshot, None)
            if locked.status != S.VALIDATING:  # a parallel delivery finished first
                transaction.set_rollback(True)
                return None
            return _finish(locked, snapshot, total, invalid, today)
    except FileRefused as e:
        return _fail(snapshot_id, str(e))
    except OperationalError:
        if not final_attempt:
            raise
        logger.exception("dataset snapshot %s: database unavailable", snapshot_id)
        return _fail(snapshot_id, _failed())
    except Exception:
        logger.exception("dataset snapshot %s: validation failed", snapshot_id)
        return _fail(snapshot_id, _failed())
    finally:
        close()


def _failed() -> str:
    return _("The validation failed unexpectedly; nothing was kept. Upload the file again.")


def _finish(
    locked: DatasetSnapshot, read: DatasetSnapshot, total: int, invalid: int, today: dt.date
) -> str:
    limit = limit_in_force(today)
    percent = (Decimal(100 * invalid) / Decimal(total)).quantize(Decimal("0.01"))
    fields: dict[str, Any] = {
        "rows_total": total,
        "rows_invalid": invalid,
        "rows_valid": total - invalid,
        "invalid_percent": percent,
        "encoding": read.encoding,
        "columns": read.columns,
        "validated_at": timezone.now(),
    }
    counts = ngettext(
        "%(n)s row read, %(bad)s invalid (%(p)s %%).",
        "%(n)s rows read, %(bad)s invalid (%(p)s %%).",
        total,
    ) % {"n": f"{total:,}", "bad": f"{invalid:,}", "p": percent}
    if limit is not None and invalid * 100 > limit * total:
        message = (
            counts
            + " "
            + _("Refused automatically: more than %(limit)s %% of the rows are invalid.")
            % {"limit": limit}
        )
        # The valid rows of a refused file are never merged: gone now (the errors stay).
        delete_stage(locked)
        DATASET.move(locked, "refuse_limit", None, message, message=message, **fields)
    else:
        message = counts + " " + _("Waiting for another data administrator's approval.")
        DATASET.move(locked, "validate", None, message, message=message, **fields)
    if locked.job_id:
        job_finish(
            locked.job_id,
            status=Job.Status.DONE,
            message=message,
            result={"status": locked.status, "rows": total, "invalid": invalid},
        )
    return str(locked.status)


def _fail(snapshot_id: int, message: str) -> str | None:
    with transaction.atomic():
        snapshot = DatasetSnapshot.objects.select_for_update().filter(pk=snapshot_id).first()
        if snapshot is None or snapshot.status not in (S.UPLOADED, S.VALIDATING):
            return None
        delete_staged(snapshot)
        DATASET.move(snapshot, "fail", None, message, message=message)
        if snapshot.job_id:
            job_finish(snapshot.job_id, status=Job.Status.FAILED, message=message)
    return str(S.FAILED)
