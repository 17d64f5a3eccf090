import pytest


@pytest.fixture(autouse=True)
def _english_ui(settings):  # type: ignore[no-untyped-def]
    """These tests match messages in English (the msgids); the catalogue is checked elsewhere."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
