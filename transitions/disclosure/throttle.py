"""The rate limit of the public disclosure pages: DRF's anonymous throttle (core.api_auth,
counted in the cache per client address), applied to everyone — the pages are public."""

from typing import Any

from core.api_auth import AnonThrottle

# Overridable in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["transitions_disclosure"].
DEFAULT_RATE = "60/min"


class DisclosureThrottle(AnonThrottle):
    scope = "transitions_disclosure"

    def get_rate(self) -> str | None:
        return super().get_rate() or DEFAULT_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
