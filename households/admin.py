from functools import wraps
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from core import exports
from core.admin import ScopedAdminMixin
from core.exports import FORMATS, SafeCSV, SafeXLSX, file_response, write_file
from core.http import request_user
from core.models import AccessLog, Job
from core.services import access_log_record
from households.permissions import EXPORT_HOUSEHOLDS, IMPORT_HOUSEHOLDS

from . import selectors
from .importing import (
    REPORT_PAGE,
    household_import_start,
    import_report_xlsx,
)
from .models import Household, Membership, Person, SeriousIllness
from .resources import COLUMNS, PersonResource, template_rows


@admin.register(SeriousIllness)
class SeriousIllnessAdmin(admin.ModelAdmin):
    list_display = ["name", "active"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["person", "relation", "start_date", "end_date", "end_reason"]
    readonly_fields = ["person", "relation", "start_date", "end_date", "end_reason"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Household)
class HouseholdAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["id", "village", "address", "hukou_type", "created_at"]
    list_select_related = ["village"]
    search_fields = ["address", "village__name"]
    list_filter = ["hukou_type"]
    raw_id_fields = ["village"]
    inlines = [MembershipInline]
    scope_region_field = "village"

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class HouseholdImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx or .csv)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file; write nothing"), required=False
    )


@admin.register(Person)
class PersonAdmin(ScopedAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    """Persons, with the household spreadsheet import (all or nothing, through the services)
    and the export in the same format (households.resources.PersonResource)."""

    list_display = ["id", "name", "sex", "birth_date", "region"]
    list_select_related = ["region"]
    search_fields = ["name", "=id_number"]
    scope_region_field = "region"
    resource_classes = [PersonResource]
    formats = [SafeXLSX, SafeCSV]  # formula-safe (core.exports)
    import_template_name = "admin/households/person/import.html"
    to_encoding = "utf-8-sig"  # a BOM, so Excel opens the Chinese csv correctly

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    # -- permissions ---------------------------------------------------------------------------

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(IMPORT_HOUSEHOLDS)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_HOUSEHOLDS)

    def get_resource_kwargs(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict:
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}

    # -- urls: import-export's row-by-row import is replaced by the household import ------------

    def get_urls(self):  # type: ignore[no-untyped-def]
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        replaced = {f"{prefix}_import", f"{prefix}_process_import"}
        urls = [u for u in super().get_urls() if getattr(u, "name", None) not in replaced]
        return [
            path("import/", self._import_guard(self.import_action), name=f"{prefix}_import"),
            path(
                "import/<int:job_id>/",
                self._import_guard(self.import_job_view),
                name=f"{prefix}_import_job",
            ),
            path(
                "import/<int:job_id>/status/",
                self._import_guard(self.import_status_view),
                name=f"{prefix}_import_status",
            ),
            path(
                "import/<int:job_id>/report.xlsx",
                self._import_guard(self.import_report_view),
                name=f"{prefix}_import_report",
            ),
            path(
                "import/template/",
                self._import_guard(self.import_template_view),
                name=f"{prefix}_import_template",
            ),
            *urls,
        ]

    def _import_guard(self, view):  # type: ignore[no-untyped-def]
        """403 (not the admin's login redirect) for a signed-in user who may not import."""
        admin_view = self.admin_site.admin_view(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not self.has_import_permission(request):
                raise PermissionDenied
            return admin_view(request, *args, **kwargs)

        return wrapped

    def process_import(self, request, **kwargs):  # type: ignore[no-untyped-def]
        raise Http404  # the generic confirm step is not used: see import_action

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Upload: the file is saved and imported by a background job, whose page follows."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = HouseholdImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:  # the size is checked there, against the sanity limit
                    job = household_import_start(
                        upload=form.cleaned_data["file"],
                        dry_run=form.cleaned_data["dry_run"],
                        by=request_user(request),
                    )
                except ValidationError as e:
                    form.add_error("file", e.messages)
                else:
                    return HttpResponseRedirect(
                        reverse("admin:households_person_import_job", args=[job.pk])
                    )
        else:
            form = HouseholdImportForm()
        return self._import_page(request, form=form)

    def _import_page(self, request: HttpRequest, **extra: Any) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import households"),
            "columns": COLUMNS,
            "template_url": reverse("admin:households_person_import_template"),
            **extra,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.import_template_name, context)

    def _import_job(self, request: HttpRequest, job_id: int) -> Job:
        try:
            return selectors.household_import_get(user=request_user(request), pk=job_id)
        except Job.DoesNotExist:
            raise Http404 from None

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """The import's progress while it runs, then its outcome: counts or the row report."""
        job = self._import_job(request, job_id)
        result = job.result if job.status == Job.Status.DONE else {}
        errors = result.get("errors", [])
        return self._import_page(
            request,
            form=HouseholdImportForm(),
            job=job,
            running=job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
            result=result,
            errors=errors[:REPORT_PAGE],
            errors_more=max(0, int(result.get("errors_total", len(errors))) - REPORT_PAGE),
            poll_url=reverse("admin:households_person_import_status", args=[job.pk]),
            report_url=reverse("admin:households_person_import_report", args=[job.pk]),
        )

    def import_status_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """HTMX: the progress bar (the page reloads itself once the job has finished)."""
        job = self._import_job(request, job_id)
        finished = job.status in (Job.Status.DONE, Job.Status.FAILED)
        if getattr(request, "htmx", False):
            poll_url = reverse("admin:households_person_import_status", args=[job.pk])
            resp = TemplateResponse(
                request, "core/_job_progress.html", {"job": job, "poll_url": poll_url}
            )
            if finished:
                resp["HX-Refresh"] = "true"
            return resp
        return JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "percent": job.percent,
                "done": job.progress_done,
                "total": job.progress_total,
                "message": job.message,
                "finished": finished,
            }
        )

    def import_report_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._import_job(request, job_id)
        if job.status != Job.Status.DONE:
            raise Http404
        return exports.file_response(
            import_report_xlsx(job.result),
            fmt="xlsx",
            filename=f"household-import-{job.pk}-report.xlsx",
        )

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        fmt = request.GET.get("format", "xlsx")
        if fmt not in FORMATS:
            raise Http404
        headers, rows = template_rows()
        return file_response(
            write_file(rows, headers=headers, fmt=fmt),
            fmt=fmt,
            filename=f"household-import-template.{fmt}",
        )

    # -- export --------------------------------------------------------------------------------

    def get_export_data(self, file_format, request, queryset, **kwargs):  # type: ignore[no-untyped-def]
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        access_log_record(
            by=request.user,
            action=AccessLog.Action.EXPORT,
            obj=Person(),
            detail=f"admin person export {file_format.get_title()}",
        )
        return data

    def get_export_filename(self, request, queryset, file_format):  # type: ignore[no-untyped-def]
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return f"persons-{stamp}.{file_format.get_extension()}"
