"""Inbound batch pages: the list (filters, pagination), the upload form (the API's receive
fields, the same service), a batch with its counts, row report and the import's progress, and
the exports of its comparison and row report. Thin: the same selectors and services as
/api/v1/inbound-batches/ (city-level users granted VIEW_INBOUND; receiving needs RECEIVE)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.exports import export_response
from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.masking import mask_id_number
from core.pages import role_page

from ..models import InboundBatch, InboundResult, InboundRowError
from . import inbound, selectors
from .permissions import RECEIVE, VIEW_INBOUND
from .streams import INBOUND, SENDERS

PAGE_SIZE = 50
REPORT_PAGE_SIZE = 100
EXPORT_PARTS = ("comparison", "errors")


class ReceiveForm(forms.Form):
    """The fields of the API's InboundReceiveSerializer; the service checks the rest."""

    sender = forms.ChoiceField(label=gettext_lazy("Sender"))
    stream = forms.ChoiceField(label=gettext_lazy("Stream"))
    period = forms.CharField(
        label=gettext_lazy("Period (month)"),
        max_length=10,
        help_text=gettext_lazy("Year and month, e.g. 2026-11"),
    )
    sequence = forms.IntegerField(label=gettext_lazy("Sequence number"), min_value=1)
    sha256 = forms.CharField(
        label=gettext_lazy("Declared SHA-256"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Optional: the checksum the sender declared for the file"),
    )
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = list(SENDERS.items())  # type: ignore[attr-defined]
        self.fields["stream"].choices = [  # type: ignore[attr-defined]
            (s.key, s.label) for s in INBOUND.values()
        ]


def _filters(request: AuthenticatedHttpRequest) -> selectors.InboundFilters:
    stream, status = request.GET.get("stream", ""), request.GET.get("status", "")
    if stream and stream not in INBOUND:
        raise Http404
    if status and status not in InboundBatch.Status.values:
        raise Http404
    return selectors.InboundFilters(stream=stream, status=status)


@role_page(VIEW_INBOUND)
@require_GET
def batch_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = _filters(request)
    rows = selectors.inbound_batch_list(user=request.user, filters=filters).select_related(
        "received_by"
    )
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k in ("stream", "status") and v})
    return render(
        request,
        "transitions/reconciliation/inbound_list.html",
        {
            "page": listing,
            "query": query,
            "filters": filters,
            "streams": INBOUND.values(),
            "stream_labels": {s.key: s.label for s in INBOUND.values()},
            "senders": SENDERS,
            "statuses": InboundBatch.Status.choices,
            "may_receive": request.user.has_perm(RECEIVE),
        },
    )


@role_page(RECEIVE)
def batch_receive(request: AuthenticatedHttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ReceiveForm(request.POST, request.FILES) if posted else ReceiveForm()
    status = 200
    if posted:
        if form.is_valid():
            v = form.cleaned_data
            try:
                batch = inbound.inbound_batch_receive(
                    stream=v["stream"],
                    sender=v["sender"],
                    period=v["period"],
                    sequence=v["sequence"],
                    upload=v["file"],
                    declared_sha256=v["sha256"],
                    by=request.user,
                )
            except ValidationError as e:
                apply_service_errors(e, form)
            else:
                messages.info(
                    request,
                    _("File received; it is imported and compared in the background."),
                )
                return redirect("transitions:inbound_detail", pk=batch.pk)
        status = 400
    return render(
        request, "transitions/reconciliation/inbound_receive.html", {"form": form}, status=status
    )


@role_page(VIEW_INBOUND)
@require_GET
def batch_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = selectors.inbound_batch_get(user=request.user, pk=pk)
    report = Paginator(selectors.inbound_row_errors(batch=batch), REPORT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    running = batch.status == InboundBatch.Status.RECEIVED and batch.job is not None
    return render(
        request,
        "transitions/reconciliation/inbound_detail.html",
        {
            "batch": batch,
            "stream": INBOUND.get(batch.stream),
            "sender": SENDERS.get(batch.sender, batch.sender),
            "page": report,
            "query": "",
            "running": running,
            "job": batch.job,
            "poll_url": reverse("transitions:inbound_progress", args=[batch.pk]),
            "parts": EXPORT_PARTS,
            "transitions": batch.transitions.select_related("by").order_by("at", "id"),
        },
    )


@role_page(VIEW_INBOUND)
@require_GET
def batch_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The import's progress bar, polled by HTMX; once it is over the page reloads whole."""
    batch = selectors.inbound_batch_get(user=request.user, pk=pk)
    job = batch.job
    if batch.status != InboundBatch.Status.RECEIVED or job is None:
        done = HttpResponse(status=204)
        done["HX-Refresh"] = "true"
        return done
    return render(
        request,
        "core/_job_progress.html",
        {"job": job, "poll_url": reverse("transitions:inbound_progress", args=[pk])},
    )


COMPARISON_HEADERS = (
    gettext_lazy("Outcome"),
    gettext_lazy("Row"),
    gettext_lazy("ID number"),
    gettext_lazy("Fields that differ"),
)
ERROR_HEADERS = (
    gettext_lazy("Row"),
    gettext_lazy("Column"),
    gettext_lazy("Value"),
    gettext_lazy("Message"),
)


def _comparison_rows(qs: Any) -> Iterator[list[Any]]:
    outcomes = dict(InboundResult.Outcome.choices)
    for r in qs.iterator(chunk_size=2000):
        yield [
            outcomes.get(r.outcome, r.outcome),
            r.row_no,
            mask_id_number(r.id_number),
            "、".join(r.fields),
        ]


def _error_rows(qs: Any) -> Iterator[list[Any]]:
    e: InboundRowError
    for e in qs.iterator(chunk_size=2000):
        yield [e.row_no, e.column, e.value, e.message]


@role_page(VIEW_INBOUND)
@require_GET
def batch_export(request: AuthenticatedHttpRequest, pk: int, part: str, fmt: str) -> HttpResponse:
    if part not in EXPORT_PARTS or fmt not in ("csv", "xlsx"):
        raise Http404
    batch = selectors.inbound_batch_get(user=request.user, pk=pk)
    if part == "comparison":
        rows = _comparison_rows(selectors.inbound_results(batch=batch))
        headers = COMPARISON_HEADERS
    else:
        rows = _error_rows(selectors.inbound_row_errors(batch=batch))
        headers = ERROR_HEADERS
    return export_response(
        rows,
        headers=[str(h) for h in headers],
        fmt=fmt,
        filename=f"inbound-{batch.pk}-{part}",
    )
