"""Request types whose `user` is a `User`, for views behind a login (types only, no behaviour).

Django types `request.user` as `User | AnonymousUser`; behind `login_required` (pages) or DRF's
`IsAuthenticated` (the API) it is always a `User`. Pages annotate `request: AuthenticatedHttpRequest`;
viewsets, whose method signatures DRF fixes, ask `request_user(request)`.
"""

from typing import cast

from django.http import HttpRequest
from rest_framework.request import Request

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def request_user(request: HttpRequest | Request) -> User:
    """The request's user, where authentication has already been required."""
    return cast(User, request.user)
