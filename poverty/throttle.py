"""The rate limit of the public verification page: DRF's anonymous throttle (core.api_auth,
counted in the cache per client address, rates read per request), applied to everyone — the
page is public, a signed-in user is not exempt."""

from typing import Any

from core.api_auth import AnonThrottle

# Overridable in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["poverty_verify"].
DEFAULT_RATE = "20/min"


class VerifyThrottle(AnonThrottle):
    scope = "poverty_verify"

    def get_rate(self) -> str | None:
        return super().get_rate() or DEFAULT_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
