"""Registry clients in the admin: city-level data administrators only (a client's grant may
span districts). Adding a client creates its OAuth2 application (client credentials, the
secret shown once, stored hashed); the calls log is read-only."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from core.scope import is_city_level, visible_regions
from transitions.models import RegistryCall, RegistryClient, RegistrySubscription

from .fields import FIELDS


class RegistryClientForm(forms.ModelForm):
    allowed_fields = forms.MultipleChoiceField(
        label=_("allowed fields"),
        choices=[(f.name, f"{f.label} ({f.name})" + (" ⚠" if f.personal else "")) for f in FIELDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("⚠ personal fields: the client sees them in full."),
    )

    class Meta:
        model = RegistryClient
        fields = [
            "name",
            "purpose",
            "legal_basis",
            "regions",
            "allowed_fields",
            "expires_at",
            "is_active",
        ]


class CityLevelOnly:
    def _city(self, request: Any) -> bool:
        return bool(request.user.is_active and is_city_level(request.user))

    def has_module_permission(self, request: Any) -> bool:
        return self._city(request) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self._city(request) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return self._city(request) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._city(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # deactivate or let expire: the calls log keeps pointing at it

    def get_queryset(self, request: Any) -> Any:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return qs if self._city(request) else qs.none()


@admin.register(RegistryClient)
class RegistryClientAdmin(CityLevelOnly, admin.ModelAdmin):
    form = RegistryClientForm
    list_display = ["name", "client_id", "expires_at", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "application__client_id"]
    filter_horizontal = ["regions"]
    readonly_fields = ["client_id"]

    @admin.display(description=_("OAuth2 client id"))
    def client_id(self, obj: RegistryClient) -> str:
        return obj.application.client_id if obj.pk else "—"

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "regions":
            kwargs["queryset"] = visible_regions(request.user).exclude(level="village")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: Any, obj: RegistryClient, form: Any, change: bool) -> None:
        if not change:
            secret = generate_client_secret()
            obj.application = Application.objects.create(
                name=obj.name[:255],
                client_type=Application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
                client_secret=secret,
                hash_client_secret=True,
            )
            obj.created_by = request.user
            self.message_user(
                request,
                _(
                    "Client id %(id)s, secret %(secret)s — shown once, stored hashed; hand it to "
                    "the system's operator securely."
                )
                % {"id": obj.application.client_id, "secret": secret},
                messages.WARNING,
            )
        super().save_model(request, obj, form, change)


@admin.register(RegistryCall)
class RegistryCallAdmin(CityLevelOnly, admin.ModelAdmin):
    list_display = ["at", "client", "endpoint", "status_code", "error_code", "record_count"]
    list_filter = ["endpoint", "error_code", "status_code"]
    list_select_related = ["client"]

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(RegistrySubscription)
class RegistrySubscriptionAdmin(CityLevelOnly, admin.ModelAdmin):
    list_display = ["client", "region", "event_types", "callback_url", "is_active"]
    list_select_related = ["client", "region"]

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
