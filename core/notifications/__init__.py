"""In-app notifications (core, layer 1): an event that hands work to a user or reports back to
one becomes a `Notification` row per recipient.

- `services.notification_send(*, recipients, kind, title, target, by)` — called inside the
  business transaction (one bulk INSERT), so a rolled-back action sends nothing;
- `recipients.users_for(region, perm=…, levels=…)` — who gets it, by role (core.roles: the roles
  granted a permission) and region (core.scope: the users whose scope covers the region);
- `selectors.notification_list(*, user, unread=…)` / `unread_count` — a user's own only;
- the page /notifications/, the API /api/v1/notifications/, and the header badge
  (templates/includes/notifications_bell.html, one COUNT query per page, none when anonymous).

Higher layers describe their events in their own module (assistance.notify) and call the service;
this package never names them.
"""
