"""Reading spreadsheets from the wild — the departments' datasets (verification) and the
register's own household import — streaming, whatever the size. Here, on the households layer,
so that both can use it (it needs only the ID-number rules).

- `detect_encoding`: UTF-8 with or without BOM, else GB18030 (a superset of GBK and GB2312, what
  the departments' own systems export), decided from the first block only.
- `csv_rows` / `xlsx_rows`: one row at a time (the csv module over a decoding stream; calamine
  for xlsx/xls/ods), trailing empty rows dropped, so memory stays flat.
- `map_headers`: Chinese and English aliases per kind → field names; merged or empty header
  cells are ignored, a missing required column or a column given twice is an error.
- `clean_id_number`, `clean_date`, `clean_amount`: what can be read unambiguously is accepted
  (full-width digits and spaces, lower-case x, Excel serial dates, 2017/6/1, 2017年6月1日,
  amounts with thousands separators or 元); anything else is a `CellError` with the reason —
  never a silent guess.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import python_calamine
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .idnumber import parse_id_number

SNIFF_BYTES = 64 * 1024
UTF8, UTF8_BOM, GB18030 = "utf-8", "utf-8-sig", "gb18030"
# Excel's day 0 (its serials count from 1899-12-30 because of the 1900 leap-year bug).
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers that are plausible dates (1950-01-01 … 2099-12-31); outside: not a date.
EXCEL_SERIALS = (18264, 73050)


class CellError(ValueError):
    """A cell that cannot be read unambiguously: the message says why (for the row report)."""


@dataclass(frozen=True)
class HeaderMap:
    columns: dict[str, int]  # field → 0-based column
    errors: list[str]


# ----------------------------------------------------------------------------- files


def detect_encoding(head: bytes) -> str:
    """The encoding of a text file from its first block: a UTF-8 BOM, valid UTF-8 (a character
    cut at the end of the block is allowed), or GB18030."""
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    try:
        head.decode(UTF8)
        return UTF8
    except UnicodeDecodeError as e:
        # Cut in the middle of a multi-byte character at the end of the block: still UTF-8.
        if e.start >= len(head) - 3 and e.reason == "unexpected end of data":
            return UTF8
    return GB18030


def _blank(row: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _trimmed(rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """Rows with trailing empty rows dropped (empty rows in the middle are kept: they have a row
    number in the report), without holding more than the run of empty rows in memory."""
    pending: list[list[Any]] = []
    for row in rows:
        if _blank(row):
            pending.append(row)
            continue
        yield from pending
        pending.clear()
        yield row


def csv_rows(stream: IO[bytes], *, encoding: str | None = None) -> Iterator[list[Any]]:
    """The rows of a CSV byte stream, decoded as detected (or as given). A byte sequence that is
    not valid in that encoding raises UnicodeDecodeError (a file to refuse, not to guess)."""
    if encoding is None:
        head = stream.read(SNIFF_BYTES)
        encoding = detect_encoding(head)
        stream = Rewound(head, stream)  # type: ignore[assignment]
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")  # type: ignore[type-var]
    yield from _trimmed(csv.reader(text))


class Rewound(io.RawIOBase):
    """A stream whose first block was already read (to sniff it): that block, then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def xlsx_rows(stream: IO[bytes]) -> Iterator[list[Any]]:
    """The rows of the first sheet of an xlsx/xls/ods workbook, one at a time (calamine)."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(stream)  # type: ignore[arg-type]
        sheet = book.get_sheet_by_index(0)
    except (python_calamine.CalamineError, ValueError, OSError) as e:
        raise CellError(
            _("The workbook cannot be read (damaged or not a spreadsheet): %(e)s") % {"e": e}
        ) from e
    yield from _trimmed(list(r) for r in sheet.iter_rows())


def sniff_encoding(stream: IO[bytes]) -> tuple[str, IO[bytes]]:
    """The detected encoding of a text stream, and the stream to read from instead (its first
    block already read to decide, then handed back first)."""
    head = stream.read(SNIFF_BYTES)
    return detect_encoding(head), Rewound(head, stream)  # type: ignore[return-value]


def count_lines(stream: IO[bytes], *, block: int = 1 << 20) -> int:
    """The lines of a byte stream (a last line without a newline counts), read in blocks and
    rewound to its start: a cheap total for a progress bar before the rows are parsed."""
    lines, last = 0, b"\n"
    while chunk := stream.read(block):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    stream.seek(0)
    return lines + (last != b"\n")


def workbook_rows(stream: IO[bytes]) -> tuple[int, Iterator[list[Any]]]:
    """As `xlsx_rows`, with the number of rows of the sheet (blank ones included, the header
    too) known before the first row is read; an unreadable workbook raises at once."""
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(stream)  # type: ignore[arg-type]
        sheet = book.get_sheet_by_index(0)
    except (python_calamine.CalamineError, ValueError, OSError) as e:
        raise CellError(
            _("The workbook cannot be read (damaged or not a spreadsheet): %(e)s") % {"e": e}
        ) from e
    height = sheet.end[0] + 1 if sheet.end else 0
    return height, _trimmed(list(r) for r in sheet.iter_rows())


# ----------------------------------------------------------------------------- headers


def header_key(value: Any) -> str:
    """A header cell compared loosely: full-width folded, spaces and punctuation around removed,
    case ignored ("身份证号 ", "身份证号：" and "ID Number" match their aliases)."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    # A unit or note in brackets is not part of the name: "存款余额(元)" is "存款余额".
    text = re.sub(r"[(\[【][^)\]】]*[)\]】]", "", text)
    return re.sub(r"[\s:*]+", "", text)


def map_headers(
    header: list[Any], aliases: Mapping[str, Iterable[str]], *, required: Iterable[str]
) -> HeaderMap:
    """Map the header row to fields through each field's aliases (Chinese and English)."""
    lookup = {header_key(a): field for field, names in aliases.items() for a in (field, *names)}
    columns: dict[str, int] = {}
    errors: list[str] = []
    for i, cell in enumerate(header):
        key = header_key(cell)
        if not key:
            continue  # an empty or merged header cell
        field = lookup.get(key)
        if field is None:
            continue  # a column we do not read
        if field in columns:
            errors.append(
                _("The column “%(name)s” appears twice (columns %(a)s and %(b)s).")
                % {"name": cell, "a": columns[field] + 1, "b": i + 1}
            )
            continue
        columns[field] = i
    missing = [f for f in required if f not in columns]
    if missing:
        errors.append(
            _("Missing columns: %(names)s.")
            % {"names": "、".join(next(iter(aliases.get(f, ())), f) for f in missing)}
        )
    return HeaderMap(columns, errors)


# ----------------------------------------------------------------------------- cells


def _text(value: Any) -> str:
    """A cell as text with full-width characters folded (Ｘ → X, １ → 1, ideographic space)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def clean_id_number(value: Any, *, today: dt.date | None = None) -> str:
    text = re.sub(r"\s+", "", _text(value)).upper()
    if not text:
        raise CellError(_("The ID number is missing."))
    try:
        return parse_id_number(text, today=today).number
    except ValidationError as e:
        raise CellError(" ".join(e.messages)) from e


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def clean_date(value: Any, *, today: dt.date | None = None) -> dt.date:
    """A date from a datetime, an Excel serial, or year-first text; day-first or month-first
    text (6/1/2017: June or January?) is refused rather than guessed."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not (EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]) or value != int(value):
            raise CellError(_("%(v)s is not a date.") % {"v": value})
        day = EXCEL_EPOCH + dt.timedelta(days=int(value))
    else:
        text = re.sub(r"\s+", "", _text(value))
        if not text:
            raise CellError(_("The date is missing."))
        text = re.sub(r"[T ]?00:00(:00)?$", "", text)
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    day = dt.date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError as e:
                    raise CellError(_("“%(v)s” is not a real date.") % {"v": value}) from e
                break
        else:
            raise CellError(
                _("“%(v)s” is not a date we can read unambiguously (write it as 2017-06-01).")
                % {"v": value}
            )
    if today is not None and day > today:
        raise CellError(_("The date %(d)s is in the future.") % {"d": day.isoformat()})
    return day


MAX_AMOUNT = Decimal(10) ** 14


def clean_amount(value: Any, *, allow_negative: bool = False) -> Decimal:
    """An amount in yuan, to the fen: "1,234.50", "1234.5元", "￥1 234" are read; two decimal
    separators, letters or more than two decimals are refused."""
    if isinstance(value, bool):
        raise CellError(_("“%(v)s” is not an amount.") % {"v": value})
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = _text(value)
        text = re.sub(r"^[¥￥]|元$|(人民币)", "", text).strip()
        text = re.sub(r"(?<=\d)[,\s](?=\d{3}(\D|$))", "", text)
        if not text:
            raise CellError(_("The amount is missing."))
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise CellError(_("“%(v)s” is not an amount.") % {"v": value})
        try:
            amount = Decimal(text)
        except InvalidOperation as e:  # pragma: no cover - the pattern above rules it out
            raise CellError(_("“%(v)s” is not an amount.") % {"v": value}) from e
    # The record columns hold 14 digits before the point (numeric(16, 2)); a spreadsheet's
    # infinity or NaN is no amount either.
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise CellError(_("“%(v)s” is not a plausible amount.") % {"v": value})
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(_("%(v)s has more than two decimals.") % {"v": value})
    if amount < 0 and not allow_negative:
        raise CellError(_("The amount %(v)s is negative.") % {"v": value})
    return amount.quantize(Decimal("0.01"))
