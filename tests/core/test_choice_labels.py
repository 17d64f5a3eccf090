"""core.choice_labels: every model's get_FOO_display answers as Django's own would, in each
language, from a dict built once per field and language."""

from functools import partialmethod

import pytest
from django.apps import apps
from django.db.models import Field, Model
from django.utils import translation

from assistance.models import DibaoCase
from core import choice_labels


def _fixed_choice_fields() -> list[tuple[type[Model], Field]]:
    out = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if isinstance(field, Field) and isinstance(field.choices, list) and field.choices:
                out.append((model, field))
    return out


def test_every_fixed_choice_field_is_served_from_the_cache() -> None:
    fields = _fixed_choice_fields()
    assert len(fields) > 20  # the project has many; an empty walk would prove nothing
    for model, field in fields:
        method = model.__dict__.get(f"get_{field.name}_display")
        if isinstance(method, partialmethod):
            assert method.func is choice_labels._display, f"{model.__name__}.{field.name}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_equal_djangos_for_every_value_and_language(language: str) -> None:
    with translation.override(language):
        for model, field in _fixed_choice_fields():
            obj = model()
            for value, _label in field.flatchoices:
                setattr(obj, field.attname, value)
                ours = getattr(obj, f"get_{field.name}_display")()
                assert ours == Model._get_FIELD_display(obj, field), (model, field.name, value)
            setattr(obj, field.attname, "no-such-value")
            assert getattr(obj, f"get_{field.name}_display")() == "no-such-value"


def test_the_label_follows_the_active_language() -> None:
    case = DibaoCase(status=DibaoCase.Status.ACTIVE)
    with translation.override("en"):
        english = case.get_status_display()
    with translation.override("zh-hans"):
        chinese = case.get_status_display()
    assert english == "Active" or english.isascii()
    assert chinese != english and not chinese.isascii()
