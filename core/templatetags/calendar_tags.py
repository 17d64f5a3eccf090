from datetime import date

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.calendar import date_is_provisional

register = template.Library()


@register.filter
def provisional_mark(day: date | None) -> str:
    """ " 暂定" after a deadline in a year without holiday data (counted Monday–Friday)."""
    if not date_is_provisional(day):
        return ""
    return format_html(
        ' <span class="badge warn" data-testid="provisional" title="{}">{}</span>',
        _("This year's holidays are not entered yet: the date may move."),
        _("provisional"),
    )
