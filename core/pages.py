"""The one decorator of role-gated pages: login required, the permission required, a refusal
shown as the 403 page with its reason (never a bare error), missing objects as 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from .http import AuthenticatedHttpRequest

View = Callable[..., Any]


def forbidden(request: Any, message: str) -> Any:
    return render(request, "assistance/forbidden.html", {"message": message}, status=403)


def role_page(perm: str, *, refusal: StrOrPromise | None = None) -> Callable[[View], View]:
    """`refusal`: what a user without `perm` is told (default: the role does not allow it).
    A PermissionDenied raised by the view or its services is shown the same way; an object
    the view looked up and did not find (scoped querysets hide others' objects) is a 404."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                if not request.user.has_perm(perm):
                    raise PermissionDenied(
                        str(refusal) if refusal else _("Your role does not allow this page.")
                    )
                return view(request, *args, **kwargs)
            except PermissionDenied as e:
                return forbidden(request, str(e))
            except ObjectDoesNotExist:
                raise Http404 from None

        return wrapper

    return decorate
