"""/api/v1/notifications/: your own notifications (any signed-in user; nobody else's).

- GET /notifications/ (filter `unread=true|false`), unread first, newest first;
- POST /notifications/{id}/read/ → 200 with the notification (another user's → 404);
- POST /notifications/read-all/ → 200 `{"marked": n}`.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api import API_AUTHENTICATION_CLASSES
from core.http import request_user
from core.notifications import selectors, services
from core.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(source="is_read", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "target_url",
            "target_label",
            "region",
            "actor",
            "created_at",
            "read_at",
            "read",
        ]
        read_only_fields = fields


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications, unread first",
        parameters=[OpenApiParameter("unread", bool, description="Only unread (true) or read")],
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    authentication_classes = API_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()
    extra_query_params = ("unread",)  # core.api_filters.UnknownParametersFilter

    def get_queryset(self) -> QuerySet[Notification]:
        raw = self.request.query_params.get("unread", "").lower()
        unread = {"true": True, "1": True, "false": False, "0": False}.get(raw)
        return selectors.notification_list(user=request_user(self.request), unread=unread)

    @extend_schema(summary="Mark one of your notifications read", request=None)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        # Not a row id (letters, or beyond bigint): no such notification, not a database error.
        if not (pk or "").isdigit() or len(pk or "") > 18:
            raise NotFound
        note = services.notification_mark_read(pk=pk or 0, by=request_user(request))
        return Response(NotificationSerializer(note).data)

    @extend_schema(
        summary="Mark all your notifications read", request=None, responses=MarkedSerializer
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.notification_mark_all_read(by=request_user(request))})


router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
