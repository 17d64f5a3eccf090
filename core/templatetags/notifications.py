from django import template

from core.notifications.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """The header badge's number: one COUNT per request (kept on the request, so the badge
    drawn again out of band costs nothing more), none for anonymous users."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if request is None:
        return unread_count(user)
    if not hasattr(request, "_unread_notifications"):
        request._unread_notifications = unread_count(user)
    return request._unread_notifications  # type: ignore[no-any-return]
