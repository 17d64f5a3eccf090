"""Dataset pages: the list, the upload, a snapshot with its live progress, counts, first errors
and the approve / refuse buttons, the error report and the empty template per kind. Thin:
selectors read, services write. Row errors hold ID numbers: data administrators only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import exports
from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.pages import role_page

from .. import kinds as K
from ..models import DatasetSnapshot, KindChoices
from ..permissions import IMPORT_DATASET, VIEW_DATASET
from . import selectors, services
from .exports import error_report_xlsx, template_xlsx
from .forms import ApproveForm, ReasonForm, UploadForm
from .workflow import DATASET

# Role-gated pages (core.pages): login, permission, refusal as the 403 page with its reason.
page = role_page
PAGE_SIZE = 50
FIRST_ERRORS = 100


@page(VIEW_DATASET)
@require_GET
def snapshot_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    if (kind and kind not in KindChoices.values) or (
        status and status not in DatasetSnapshot.Status.values
    ):
        raise Http404
    filters = selectors.SnapshotFilters(kind=kind, status=status)
    rows = selectors.snapshot_list(user=request.user, filters=filters)
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "verification/datasets/list.html",
        {
            "page": listing,
            "filters": filters,
            "kinds": KindChoices.choices,
            "statuses": DatasetSnapshot.Status.choices,
            "query": query.urlencode(),
            "current": selectors.current_snapshots(),
            "may_upload": DATASET.may(DatasetSnapshot(), "upload", request.user),
        },
    )


@page(IMPORT_DATASET)
@require_http_methods(["GET", "POST"])
def snapshot_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    DATASET.check(DatasetSnapshot(), "upload", request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            snapshot = services.dataset_upload(
                kind=d["kind"], as_of=d["as_of"], file=d["file"], by=request.user
            )
        except ValidationError as e:
            apply_service_errors(e, form)
        else:
            messages.success(request, _("Uploaded: the file is being validated."))
            return redirect("verification:dataset_detail", pk=snapshot.pk)
    return render(
        request,
        "verification/datasets/upload.html",
        {"form": form, "kinds": list(K.KINDS.values())},
        status=400 if form.errors else 200,
    )


def _detail(
    request: AuthenticatedHttpRequest,
    snapshot: DatasetSnapshot,
    forms: dict[str, Any] | None = None,
) -> HttpResponse:
    forms = forms or {}
    see_rows = selectors.may_see_rows(request.user)
    errors = (
        list(selectors.row_error_list(user=request.user, snapshot=snapshot)[:FIRST_ERRORS])
        if see_rows
        else []
    )
    return render(
        request,
        "verification/datasets/detail.html",
        {
            "snapshot": snapshot,
            "job": snapshot.job,
            "poll_url": reverse("verification:dataset_progress", args=[snapshot.pk]),
            "allowed": DATASET.allowed(snapshot, request.user),
            "approve_form": forms.get("approve") or ApproveForm(prefix="approve"),
            "refuse_form": forms.get("refuse") or ReasonForm(prefix="refuse"),
            "see_rows": see_rows,
            "errors": errors,
            "history": [
                (t, DATASET.actions[t.action].label if t.action in DATASET.actions else t.action)
                for t in snapshot.transitions.select_related("by")
            ],
            "running": snapshot.status in ("uploaded", "validating", "approved"),
        },
        status=400 if forms else 200,
    )


@page(VIEW_DATASET)
@require_GET
def snapshot_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.snapshot_get(user=request.user, pk=pk))


@page(VIEW_DATASET)
@require_GET
def snapshot_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by HTMX; once the work is over the page reloads whole."""
    snapshot = selectors.snapshot_get(user=request.user, pk=pk)
    job = snapshot.job
    if snapshot.status not in ("uploaded", "validating", "approved") or job is None:
        done = HttpResponse(status=204)
        done["HX-Refresh"] = "true"
        return done
    return render(
        request,
        "core/_job_progress.html",
        {"job": job, "poll_url": reverse("verification:dataset_progress", args=[pk])},
    )


@page(VIEW_DATASET)
@require_POST
def snapshot_act(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    snapshot = selectors.snapshot_get(user=request.user, pk=pk)
    form: Any
    if action == "approve":
        form = ApproveForm(request.POST, prefix="approve")
    elif action == "refuse":
        form = ReasonForm(request.POST, prefix="refuse")
    else:
        raise Http404
    if not form.is_valid():
        return _detail(request, snapshot, {action: form})
    try:
        if action == "approve":
            services.dataset_approve(
                snapshot=snapshot, by=request.user, reason=form.cleaned_data["reason"]
            )
        else:
            services.dataset_refuse(
                snapshot=snapshot, by=request.user, reason=form.cleaned_data["reason"]
            )
    except ValidationError as e:
        if getattr(e, "code", None) == "wrong_status":
            messages.warning(request, " ".join(e.messages))
            return redirect("verification:dataset_detail", pk=snapshot.pk)
        apply_service_errors(e, form)
        return _detail(request, snapshot, {action: form})
    messages.success(request, _("Saved."))
    return redirect("verification:dataset_detail", pk=snapshot.pk)


@page(IMPORT_DATASET)
@require_GET
def snapshot_errors(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    snapshot = selectors.snapshot_get(user=request.user, pk=pk)
    rows = selectors.row_error_list(user=request.user, snapshot=snapshot)
    return exports.file_response(
        error_report_xlsx(snapshot, rows),
        fmt="xlsx",
        filename=f"dataset-{snapshot.pk}-errors.xlsx",
    )


@page(VIEW_DATASET)
@require_GET
def kind_template(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    spec = K.KINDS.get(kind)
    if spec is None:
        raise Http404
    return exports.file_response(template_xlsx(spec), fmt="xlsx", filename=f"{kind}-template.xlsx")
