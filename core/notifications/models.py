"""The notification row. Registered with core's models (core.models imports it)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one user: what happened (`kind`, `title`), about what (`target_*`, a
    generic reference plus the url and label to show), where (`region`, for the record), and
    whether it was read."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A dotted event name ("dibao.confirmed", "payroll.built"): filters and tests use it.
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=255)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_url = models.CharField(_("link"), max_length=255, blank=True)
    target_label = models.CharField(_("about"), max_length=100, blank=True)
    region = models.ForeignKey(
        "core.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list: a user's own, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            # The header badge: a user's unread ones (one COUNT on this partial index per page).
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
