"""DRF renderers shared by every app (kept apart from core.api to avoid an import cycle with
rest_framework.views, which reads DEFAULT_RENDERER_CLASSES when imported)."""

from typing import Any

from rest_framework import renderers, serializers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API, with the PATCH/PUT forms of input serializers left empty.

    DRF fills those forms from the object being viewed; an input serializer (a plain
    Serializer, not a ModelSerializer) describes a request, not the object, and need not match
    its attributes (`village` is an id in HouseholdUpdateSerializer, a Region on the model):
    filling it from the object was a 500 on every household page of the browsable API.
    """

    def _unbound_inputs(self, view: Any) -> Any:
        get_serializer = view.get_serializer

        def get(*args: Any, **kwargs: Any) -> Any:
            if not issubclass(view.get_serializer_class(), serializers.ModelSerializer):
                kwargs.pop("instance", None)
            return get_serializer(*args, **kwargs)

        return get

    def get_rendered_html_form(self, data, view, method, request):  # type: ignore[no-untyped-def]
        if not hasattr(view, "get_serializer"):
            return super().get_rendered_html_form(data, view, method, request)
        view.get_serializer = self._unbound_inputs(view)
        try:
            return super().get_rendered_html_form(data, view, method, request)
        finally:
            del view.get_serializer  # the class's method again

    def get_raw_data_form(self, data, view, method, request):  # type: ignore[no-untyped-def]
        if not hasattr(view, "get_serializer"):
            return super().get_raw_data_form(data, view, method, request)
        view.get_serializer = self._unbound_inputs(view)
        try:
            return super().get_raw_data_form(data, view, method, request)
        finally:
            del view.get_serializer
