"""The CSV validation's vectorised fast path (decision 0020).

The Python cleaners (kinds.py) spend ~3.5 µs a row; a million-row file took ten times as long
as the server's raw COPY of it. Here the file is read in blocks of whole records, each block
parsed by polars (Rust, both cores) and every cell tested by column expressions that accept
only what is *certainly* clean — an 18-character ID number with the right check character and
a real birth date not in the future, plain ASCII amounts, ISO dates, text of characters that
NFKC leaves alone with no space around it. Those rows go to COPY as they are (the value the
Python cleaner would return is the cell itself); every other row of the block goes through
`kinds.clean_row`, which says why it is wrong or reads what is unusual (full-width digits,
2017年6月1日, 1,234.50 元). So the fast path only ever decides "clean", never "wrong", and the
row report is the Python path's, word for word (tests/verification/datasets/test_fastpath.py
proves both paths stage the same rows and report the same errors).

A block is handed to the Python path whole when polars might read it differently from the csv
module: a record spanning lines (a quoted newline), a lone CR, a row with more or fewer cells
than the header, bytes not valid in the file's encoding, or a cell that polars refuses.
"""

from __future__ import annotations

import contextvars
import csv
import datetime as dt
import io
import itertools
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import polars as pl

from households.tabular import Rewound, csv_rows

from .. import kinds as K

CHUNK_BYTES = 1 << 20  # ~20,000 rows: big enough for polars; the blocks in flight stay ~75 MB
MAX_RECORD_BYTES = 1 << 20  # a "record" longer than this: an unterminated quote — Python reads on

# Characters that NFKC leaves alone and str.strip() never strips (test_fastpath checks every
# one against unicodedata): printable ASCII but the backslash (so that a clean cell needs no
# escaping in COPY's text format), the middle dot of minority names, CJK ideographs and the CJK
# punctuation that has no compatibility mapping.
_SAFE = r"\x21-\x5b\x5d-\x7e\u00b7\u2014\u2018\u2019\u201c\u201d\u3001-\u3003\u3007-\u3011\u3400-\u4dbf\u4e00-\u9fff"
SAFE_TEXT = rf"^([{_SAFE}]([ {_SAFE}]*[{_SAFE}])?)?$"
ID_SHAPE = r"^[0-9]{17}[0-9X]$"
ISO_DATE = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"
AMOUNT = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"
AREA = r"^[0-9]{1,5}(\.[0-9]{1,2})?$"  # below 100,000 m², the cleaner's limit
COUNT = r"^[0-9]{1,6}$"


# As float64, so that the weighted sum is one BLAS product (exact: far below 2**53).
_WEIGHTS = np.array(K._ID_WEIGHTS, dtype=np.float64)
_YMD = np.array([10.0**k for k in range(7, -1, -1)])  # eight digits → yyyymmdd
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def id_numbers_ok(ids: pl.Series, today: dt.date) -> np.ndarray:
    """Which cells are valid 18-character ID numbers (GB 11643: 17 digits and a check
    character, a real birth date from 1800 to today), computed on the bytes of the 18-byte
    cells as a numpy matrix (a row per cell; float64 products are exact here and use BLAS)."""
    eighteen = (ids.str.len_bytes() == 18).fill_null(False)
    ok = np.zeros(len(ids), dtype=bool)
    if not eighteen.any():
        return ok
    b = np.frombuffer(ids.filter(eighteen).str.join("").item().encode(), dtype=np.uint8)
    b = b.reshape(-1, 18)
    digits, last = b[:, :17], b[:, 17]
    shaped = ((digits >= 48) & (digits <= 57)).all(axis=1) & (
        ((last >= 48) & (last <= 57)) | (last == 88)  # 0-9 or X
    )
    f = digits.astype(np.float64) - 48
    weighted = (f @ _WEIGHTS).astype(np.int64)
    good = shaped & (_CHECK[weighted % 11] == last)
    ymd = (f[:, 6:14] @ _YMD).astype(np.int64)
    y, m, day = ymd // 10_000, ymd // 100 % 100, ymd % 100
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_last = _MONTH_DAYS[np.clip(m, 0, 12)] + ((m == 2) & leap)
    today_ymd = today.year * 10_000 + today.month * 100 + today.day
    good &= (m >= 1) & (m <= 12) & (day >= 1) & (day <= month_last)
    good &= (y >= 1800) & (ymd <= today_ymd)
    ok[eighteen.to_numpy()] = good
    return ok


def _date_ok(col: pl.Expr, today: dt.date) -> pl.Expr:
    day = col.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    return col.str.contains(ISO_DATE) & (day <= today)


def field_check(f: K.Field, col: pl.Expr, today: dt.date) -> tuple[pl.Expr, pl.Expr]:
    """(certainly clean, the value to stage) for one field's column (nulls filled with "")."""
    empty = col == ""
    if f.clean is K._id:  # checked apart, with numpy (id_numbers_ok)
        return pl.lit(True), col
    if f.clean is K._date:
        ok = _date_ok(col, today)
    elif f.clean is K._amount:
        ok = col.str.contains(AMOUNT)
    elif f.clean is K._area:
        ok = col.str.contains(AREA)
    elif f.clean is K._count:
        ok = col.str.contains(COUNT)
    elif (limit := getattr(f.clean, "max_length", None)) is not None:  # kinds._text
        ok = col.str.contains(SAFE_TEXT) & (col.str.len_chars() <= limit)
        return (ok & ~empty) if f.required else ok, col  # "" in the record, never NULL
    else:  # a cleaner this path does not know: every row the Python way
        return pl.lit(False), col
    value = pl.when(empty).then(None).otherwise(col)
    return (ok if f.required else (empty | ok)), value


@dataclass
class Block:
    """One block of records from row `first_row`: the certainly clean ones as COPY text bytes,
    the others (row number, cells) for the Python path."""

    first_row: int
    records: int = 0
    fast: bytes = b""
    fast_rows: int = 0
    slow: list[tuple[int, list[Any]]] = field(default_factory=list)
    raw: bool = False  # polars might not read it as the csv module would
    error: Exception | None = None  # what the csv module could not read, near row error_row
    error_row: int = 0
    read_bytes: int = 0  # of the file, up to the end of this block (for the progress bar)
    # Filled by the consumer once the Python cleaners have read `slow`: what to COPY, the row
    # report's lines, rows read and rows invalid.
    payload: bytes = b""
    errors: str = ""
    done: int = 0
    invalid: int = 0


class Plan:
    """How one kind's columns are checked and staged, built once per file."""

    def __init__(
        self, kind: K.Kind, columns: dict[str, int], width: int, *, snapshot_id: int, today: dt.date
    ) -> None:
        self.width = width
        self.schema = {f"c{j}": pl.String for j in range(width)}
        checks, values = [], []
        self.id_columns = [
            f"c{columns[f.name]}" for f in kind.fields if f.clean is K._id and f.name in columns
        ]
        self.numeric = {
            columns[f.name]
            for f in kind.fields
            if f.clean in (K._amount, K._area) and f.name in columns
        }
        self.today = today
        for f in kind.fields:
            j = columns.get(f.name)
            col = pl.col(f"c{j}") if j is not None else pl.lit("", dtype=pl.String)
            ok, value = field_check(f, col, today)
            checks.append(ok)
            values.append(value.alias(f.name))
        self.ok = pl.all_horizontal(checks).fill_null(False).alias("_ok")
        self.out = [pl.lit(snapshot_id).alias("snapshot_id"), pl.col("_row"), *values]

    def block(self, data: bytes, first_row: int) -> Block:
        """Check one block of whole records (UTF-8): certainly clean rows as COPY text, the rest
        for the Python path; or the block raw when polars might not read it as csv would."""
        lines = data.count(b"\n") + (not data.endswith(b"\n"))
        if data.count(b"\r") != data.count(b"\r\n"):
            return Block(first_row, raw=True)
        try:
            frame = pl.read_csv(
                data,
                has_header=False,
                schema=self.schema,
                infer_schema=False,
                truncate_ragged_lines=False,
                empty_string_is_null=False,  # an empty cell is "", as the csv module reads it
            )
        except (pl.exceptions.PolarsError, UnicodeDecodeError, ValueError):
            return Block(first_row, raw=True)
        if frame.height != lines:  # a quoted newline: records are not lines here
            return Block(first_row, raw=True)
        good, bad = self._split(frame.with_row_index("_row", offset=first_row))
        slow = [(r[0], list(r[1:])) for r in bad.iter_rows()]
        return Block(first_row, lines, _copy_text(good), good.height, slow)

    def _split(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The frame's certainly clean rows (as staged) and the others (as read), in one query
        (the checks computed once for both)."""
        ok = self.ok
        for name in self.id_columns:
            ok = ok & pl.lit(pl.Series(id_numbers_ok(frame[name], self.today)))
        checked = frame.lazy().with_columns(ok.alias("_ok"))
        good, bad = pl.collect_all(
            [
                checked.filter(pl.col("_ok")).select(self.out),
                checked.filter(~pl.col("_ok")).drop("_ok"),
            ]
        )
        return good, bad

    def sheet_block(self, batch: list[tuple[int, list[Any]]]) -> Block:
        """A batch of numbered spreadsheet rows (calamine's typed cells): each cell as the text
        the Python cleaner would read, where that is unambiguous — text as it is, an empty cell
        as "", a number in an amount or area column as str() (what clean_amount reads) — and
        anything else (dates, numbers elsewhere, booleans) as a NUL, which no check accepts, so
        that its row goes the Python way with its cells as they were."""
        numeric, width = self.numeric, self.width
        # Column by column (zip in C): most columns are all text, converted with no Python
        # call per cell; a short row's missing cells are None, i.e. empty.
        cells = list(itertools.zip_longest(*(row for _n, row in batch)))
        empty = (None,) * len(batch)
        columns = {
            f"c{j}": _column_text(cells[j] if j < len(cells) else empty, j in numeric)
            for j in range(width)
        }
        frame = pl.DataFrame(columns, schema=self.schema).with_columns(
            pl.Series("_row", [n for n, _row in batch], dtype=pl.UInt32)
        )
        good, bad = self._split(frame)
        originals = dict(batch)
        slow = [(n, originals[n]) for n in bad["_row"].to_list()]
        return Block(batch[0][0], len(batch), _copy_text(good), good.height, slow)


def _column_text(column: tuple[Any, ...], as_number: bool) -> list[str]:
    """One column's cells as `_as_text` reads each, the common cases without a call per cell
    (type() is exact: a bool is not an int here, as in _as_text)."""
    types = set(map(type, column))
    if types <= {str}:
        return list(column)
    if types <= {str, type(None)}:
        return ["" if c is None else c for c in column]
    if as_number and types <= {int, float}:
        return list(map(str, column))
    return [_as_text(c, as_number) for c in column]


def _as_text(cell: Any, as_number: bool) -> str:
    if type(cell) is str:
        return cell
    if cell is None:
        return ""
    if as_number and type(cell) in (int, float):
        return str(cell)
    return "\x00"


def _copy_text(good: pl.DataFrame) -> bytes:
    """Rows as COPY's text format as it is: no cell here holds a tab, newline or backslash."""
    out = io.BytesIO()
    good.write_csv(out, include_header=False, separator="\t", quote_style="never", null_value="\\N")
    return out.getvalue()


def sheet_blocks(
    rows: Iterator[list[Any]], plan: Plan, *, first_row: int, size: int = 20_000
) -> Iterator[Block]:
    """A spreadsheet's rows (after the header) in checked blocks of `size`."""
    numbered = enumerate(rows, start=first_row)
    while batch := list(itertools.islice(numbered, size)):
        yield plan.sheet_block(batch)


def header_line(head: bytes, encoding: str) -> tuple[int, list[str], int] | None:
    """The header among the first lines of a CSV file: (row number, cells, byte offset of the
    next line), when the rows up to it are one line each; otherwise None (the Python path)."""
    offset = 0
    for number, line in enumerate(head.splitlines(keepends=True), start=1):
        if not line.endswith(b"\n") or line.count(b'"') % 2 or b"\r" in line.rstrip(b"\r\n"):
            return None
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError:
            return None
        offset += len(line)
        row = next(csv.reader([text]), [])
        if any(c.strip() for c in row):
            return number, row, offset
    return None


def _records(f: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """Blocks of whole records (each ending at a newline outside quotes), or — when a record
    grows past MAX_RECORD_BYTES (an unterminated quote) — what is left, for the csv module."""
    pending = b""
    while True:
        data = f.read(CHUNK_BYTES)
        if not data:
            if pending:
                yield pending, b""
            return
        data = pending + data
        cut = data.rfind(b"\n") + 1
        # Inside quotes where the number of quotes before is odd: step back a line at a time,
        # counting only the line stepped over.
        odd = data.count(b'"', 0, cut) % 2
        while cut and odd:
            prev = data.rfind(b"\n", 0, cut - 1) + 1
            odd = (odd + data.count(b'"', prev, cut)) % 2
            cut = prev
        if not cut:
            if len(data) > MAX_RECORD_BYTES + CHUNK_BYTES:
                yield b"", data
                return
            pending = data
            continue
        yield data[:cut], b""
        pending = data[cut:]


def _python_block(data: bytes, encoding: str, first_row: int) -> Block:
    """A block read by the csv module, as the Python path always did."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        return Block(first_row, error=e, error_row=first_row + data.count(b"\n", 0, e.start))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as e:
        return Block(first_row, error=e, error_row=first_row + reader.line_num - 1)
    return Block(first_row, len(rows), slow=list(enumerate(rows, start=first_row)))


def blocks(
    f: IO[bytes],
    plan: Plan,
    *,
    encoding: str,
    first_row: int,
    stop: threading.Event,
) -> Iterator[Block]:
    """The file's blocks from its current position, `first_row` being the first one's number."""
    row, read = first_row, f.tell()
    for data, left in _records(f):
        if stop.is_set():
            return
        if left:
            yield from _rest(Rewound(left, f), encoding, row)  # type: ignore[arg-type]
            return
        utf8: bytes | None = data
        if encoding not in ("utf-8", "utf-8-sig"):
            try:
                utf8 = data.decode(encoding).encode()
            except UnicodeDecodeError:
                utf8 = None
        block = plan.block(utf8, row) if utf8 is not None else None
        if block is None or block.raw:
            block = _python_block(data, encoding, row)
            if block.error is not None:
                yield block
                return  # the file is refused
        row += block.records
        read += len(data)
        block.read_bytes = read
        yield block


def _rest(stream: IO[bytes], encoding: str, first_row: int) -> Iterator[Block]:
    """The rest of a file the fast path cannot cut into blocks, through the csv module."""
    numbered = enumerate(csv_rows(stream, encoding=encoding), start=first_row)
    row = first_row
    try:
        while batch := list(itertools.islice(numbered, 5000)):
            block = Block(batch[0][0], len(batch), slow=batch)
            row = batch[-1][0] + 1
            yield block
    except (UnicodeDecodeError, csv.Error) as e:
        yield Block(row, error=e, error_row=row)


def prefetch(items: Iterator[Block], stop: threading.Event, depth: int = 2) -> Iterator[Block]:
    """The blocks, produced in a thread `depth` ahead of the consumer (polars releases the GIL,
    so parsing the next block overlaps the server's COPY of this one)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    end = object()

    def run() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(end)
        except BaseException as e:  # handed to the consumer, raised there
            q.put(e)

    # In a copy of the caller's context: the row report's messages in the caller's language.
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(run,), name="csv-fastpath", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


class Feeder:
    """Writes to a COPY from its own thread, a bounded queue ahead: the server never waits for
    this thread's Python work between blocks (psycopg's write returns once the socket took the
    data; the server would then idle until the next write)."""

    def __init__(self, copy: Any, depth: int = 2) -> None:
        self._copy, self._q = copy, queue.Queue[bytes | None](maxsize=depth)
        self._error: BaseException | None = None
        self._abort = False
        self._thread = threading.Thread(target=self._run, name="copy-feeder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._q.get()) is not None:
            if self._error is None and not self._abort:
                try:
                    self._copy.write(data)
                except BaseException as e:  # raised in the caller's thread at its next put
                    self._error = e

    def put(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(data)

    def close(self, *, abort: bool = False) -> None:
        """Wait until everything queued is written (or, on abort, dropped); the COPY may then
        be ended by its owner."""
        self._abort = self._abort or abort
        self._q.put(None)
        self._thread.join()
        if self._error is not None and not abort:
            raise self._error
