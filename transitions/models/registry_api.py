"""The registry API for other systems (domain.md §8; docs/decisions/0025-registry-api.md).

An external system is an OAuth2 application (django-oauth-toolkit, client-credentials grant
only) with a `RegistryClient` beside it: its purpose, the regions and fields it was granted and
until when. Every call, answered or refused, leaves a `RegistryCall`; every search and
subscription is a `RegistryTransaction` the client can ask about; changes in a subscribed
region are queued as `RegistryNotification`s and each delivery attempt is a `RegistryDelivery`.
Which fields exist is declared once in transitions.registry_api.fields.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegistryClient(models.Model):
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("OAuth2 application"),
        on_delete=models.CASCADE,
        related_name="registry_client",
    )
    name = models.CharField(_("system"), max_length=100)
    purpose = models.TextField(_("purpose"), help_text=_("Why this system may read the registry."))
    legal_basis = models.CharField(_("legal basis / agreement"), max_length=255, blank=True)
    regions = models.ManyToManyField(
        "core.Region",
        verbose_name=_("allowed regions"),
        related_name="+",
        help_text=_("The records of households in these regions and below."),
    )
    # Names of transitions.registry_api.fields.FIELDS (validated there: the fields are code).
    allowed_fields = ArrayField(
        models.CharField(max_length=32), verbose_name=_("allowed fields"), default=list
    )
    expires_at = models.DateTimeField(_("access expires at"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registry client")
        verbose_name_plural = _("registry clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class RegistryTransaction(models.Model):
    class Kind(models.TextChoices):
        SEARCH = "search", _("Search")
        SUBSCRIBE = "subscribe", _("Subscribe")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")

    # The DCI status codes.
    class Status(models.TextChoices):
        RECEIVED = "rcvd", _("Received")
        PENDING = "pdng", _("Pending")
        SUCCEEDED = "succ", _("Succeeded")
        REJECTED = "rjct", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        RegistryClient, on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reference_id = models.CharField(_("client's reference"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=4, choices=Status.choices)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    total_count = models.PositiveIntegerField(_("total matching"), default=0)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registry transaction")
        verbose_name_plural = _("registry transactions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.id)


class RegistryCall(models.Model):
    """One call to the registry API, answered or refused: who, what, how many records."""

    client = models.ForeignKey(
        RegistryClient, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    # The OAuth2 client id the token belonged to (a foreign application has no RegistryClient).
    client_id_seen = models.CharField(_("OAuth2 client id"), max_length=100, blank=True)
    transaction = models.ForeignKey(
        RegistryTransaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    endpoint = models.CharField(_("endpoint"), max_length=40)
    method = models.CharField(max_length=8)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    # "" when answered; else the refusal's code (transitions.registry_api.errors).
    error_code = models.CharField(_("refusal"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    # What was asked (query type, ID type, expression, fields, region, as-of, page).
    request_summary = models.JSONField(_("request"), default=dict, blank=True)
    record_count = models.PositiveIntegerField(_("records returned"), default=0)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("registry API call")
        verbose_name_plural = _("registry API calls")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"], name="registry_call_client_at")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.status_code}"


class RegistrySubscription(models.Model):
    class Event(models.TextChoices):
        # A dibao case of a household in the region changed status (assistance's history).
        DIBAO_STATUS = "dibao_status", _("Dibao status changed")
        # A person joined or left a household in the region.
        MEMBERSHIP = "membership", _("Household membership changed")

    transaction = models.OneToOneField(
        RegistryTransaction, on_delete=models.PROTECT, related_name="subscription"
    )
    client = models.ForeignKey(
        RegistryClient, on_delete=models.CASCADE, related_name="subscriptions"
    )
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    event_types = ArrayField(
        models.CharField(max_length=16, choices=Event.choices), verbose_name=_("events")
    )
    callback_url = models.URLField(_("callback URL"), max_length=500)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registry subscription")
        verbose_name_plural = _("registry subscriptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} {self.region.code}"


class RegistryNotification(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (retries exhausted)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        RegistrySubscription, on_delete=models.CASCADE, related_name="notifications"
    )
    event_type = models.CharField(max_length=16, choices=RegistrySubscription.Event.choices)
    # The event, with only the fields the client was granted (computed when queued).
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registry notification")
        verbose_name_plural = _("registry notifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.status}"


class RegistryDelivery(models.Model):
    """One attempt to POST a notification to the subscriber's callback URL."""

    notification = models.ForeignKey(
        RegistryNotification, on_delete=models.CASCADE, related_name="deliveries"
    )
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("registry delivery")
        verbose_name_plural = _("registry deliveries")
        ordering = ["notification_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.status_code}"
