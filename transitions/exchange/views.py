"""Exchange pages: the batch list (build form for the sending department), a batch with its
manifest, files, verification and the receipt; the build job's progress. Thin."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.forms import apply_service_errors
from core.http import AuthenticatedHttpRequest
from core.models import Job
from core.months import parse_month
from core.pages import role_page

from ..models import ExchangeBatch
from . import selectors, services
from .permissions import ACKNOWLEDGE, BUILD, VIEW
from .streams import STREAMS
from .workflow import BATCH

PAGE_SIZE = 50


class BuildForm(forms.Form):
    stream = forms.ChoiceField(label=gettext_lazy("Stream"))
    period = forms.CharField(
        label=gettext_lazy("Period (month)"),
        max_length=7,
        help_text=gettext_lazy("Year and month, e.g. 2026-11"),
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices = [(s.key, s.label) for s in STREAMS.values()]
        self.fields["stream"].choices = choices  # type: ignore[attr-defined]


class AcknowledgeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


def _filters(request: AuthenticatedHttpRequest) -> selectors.BatchFilters:
    stream = request.GET.get("stream", "")
    if stream and stream not in STREAMS:
        raise Http404
    status = request.GET.get("status", "")
    if status and status not in selectors.STATUSES:
        raise Http404
    period = None
    if request.GET.get("period"):
        try:
            period = parse_month(request.GET["period"])
        except ValidationError:
            raise Http404 from None
    return selectors.BatchFilters(stream=stream, period=period, status=status)


@role_page(VIEW)
def batch_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BuildForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not request.user.has_perm(BUILD):
            raise Http404
        if form.is_valid():
            try:
                started = services.exchange_batch_build_start(
                    stream=form.cleaned_data["stream"],
                    period=form.cleaned_data["period"],
                    by=request.user,
                )
            except ValidationError as e:
                apply_service_errors(e, form)
            else:
                if isinstance(started, ExchangeBatch):
                    messages.info(request, _("This month's batch is built already."))
                    return redirect("transitions:exchange_detail", pk=started.pk)
                return redirect("transitions:exchange_job", job_id=started.pk)
    filters = _filters(request)
    today = timezone.localdate()
    rows = selectors.exchange_batch_list(user=request.user, filters=filters, on=today)
    listing = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(
        {k: v for k, v in request.GET.items() if k in ("stream", "period", "status") and v}
    )
    return render(
        request,
        "transitions/exchange/list.html",
        {
            "page": listing,
            "query": query,
            "filters": filters,
            "streams": STREAMS.values(),
            "statuses": [("overdue", _("Receipt overdue")), *ExchangeBatch.Status.choices],
            "form": form,
            "may_build": request.user.has_perm(BUILD),
        },
    )


def _detail(
    request: AuthenticatedHttpRequest, batch: ExchangeBatch, form: AcknowledgeForm | None = None
) -> HttpResponse:
    return render(
        request,
        "transitions/exchange/detail.html",
        {
            "batch": batch,
            "stream": STREAMS.get(batch.stream),
            "problems": services.exchange_batch_verify(batch),
            "allowed": BATCH.allowed(batch, request.user),
            "form": form or AcknowledgeForm(),
        },
    )


@role_page(VIEW)
@require_GET
def batch_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail(
        request, selectors.exchange_batch_get(user=request.user, pk=pk, on=timezone.localdate())
    )


@role_page(ACKNOWLEDGE)
@require_POST
def batch_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = selectors.exchange_batch_get(user=request.user, pk=pk, on=timezone.localdate())
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        return _detail(request, batch, form)
    try:
        services.exchange_batch_acknowledge(
            batch=batch, by=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as e:
        if getattr(e, "code", None) == "wrong_status":
            messages.warning(request, " ".join(e.messages))
            return redirect("transitions:exchange_detail", pk=batch.pk)
        apply_service_errors(e, form)
        return _detail(request, batch, form)
    messages.success(request, _("Receipt acknowledged."))
    return redirect("transitions:exchange_detail", pk=batch.pk)


@role_page(VIEW)
@require_GET
def batch_file(request: AuthenticatedHttpRequest, pk: int, name: str) -> FileResponse:
    batch = selectors.exchange_batch_get(user=request.user, pk=pk, on=timezone.localdate())
    record = batch.files.get(name=name)
    response = FileResponse(record.file.open("rb"), as_attachment=True, filename=record.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_page(BUILD)
@require_GET
def build_job(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id, kind=services.JOB_KIND, created_by=request.user)
    htmx = bool(getattr(request, "htmx", False))
    if htmx and job.status not in ("queued", "running"):
        done = HttpResponse(status=204)
        done["HX-Refresh"] = "true"
        return done
    template = "core/_job_progress.html" if htmx else "transitions/exchange/job.html"
    return render(
        request,
        template,
        {
            "job": job,
            "poll_url": reverse("transitions:exchange_job", args=[job.pk]),
            "batch_id": (job.result or {}).get("batch"),
        },
    )
