from django import template

from core.masking import mask_id_number, mask_name

register = template.Library()


@register.filter
def mask_id(value: str) -> str:
    return mask_id_number(value or "")


@register.filter
def masked_name(value: str) -> str:
    return mask_name(value or "")
