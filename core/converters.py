"""URL converters shared by the apps' urlconfs."""

from django.urls import register_converter


class YearConverter:
    """A calendar year the application can compute with (1900–2199); anything else is a 404,
    not a date error deep inside a view."""

    regex = r"(?:19|20|21)\d{2}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):04d}"


register_converter(YearConverter, "year")
