from django import template

from core.masking import mask_id_number, mask_name

register = template.Library()


@register.filter
def mask_id(value: str) -> str:
    return mask_id_number(value or "")


@register.filter
def masked_name(value: str) -> str:
    return mask_name(value or "")


@register.simple_tag(takes_context=True)
def personal(context: template.Context, obj: object, field: str) -> object:
    """`{% personal person "bank_account" %}`: the field as core.personal_data lets the viewer see
    it (None when hidden)."""
    from core.personal_data import visible

    request = context.get("request")
    return visible(getattr(request, "user", None), field, getattr(obj, field))
