"""A CSV export of an admin list for a date range: a form (from, to) on the list's page,
then a streamed download of the rows created in that range, cells made safe for
spreadsheets."""

import datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core.spreadsheets import csv_response

MAX_EXPORT_DAYS = 366


class DateRangeForm(forms.Form):
    date_from = forms.DateField(label="From (inclusive)")
    date_to = forms.DateField(label="To (inclusive)")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError("The range ends before it starts.")
            if (end - start).days >= MAX_EXPORT_DAYS:
                raise forms.ValidationError(f"Export at most {MAX_EXPORT_DAYS} days at a time.")
        return data


class CsvExportMixin:
    """For a ModelAdmin: `export_header` and `export_row(obj)` name the columns; the rows
    are those created in the chosen range, by `export_queryset`."""

    change_list_template = "admin/change_list_with_export.html"
    export_header: list[str] = []

    def export_row(self, obj) -> list:
        raise NotImplementedError

    def export_queryset(self, request):
        return self.get_queryset(request)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name="{}_{}_export".format(*info),
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = DateRangeForm(
            request.GET or None,
            initial={"date_from": today - datetime.timedelta(days=30), "date_to": today},
        )
        if form.is_valid():
            zone = timezone.get_current_timezone()
            first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
            start = datetime.datetime.combine(first, datetime.time.min, zone)
            after = last + datetime.timedelta(days=1)
            end = datetime.datetime.combine(after, datetime.time.min, zone)
            rows = (
                self.export_queryset(request)
                .filter(created_at__gte=start, created_at__lt=end)
                .order_by("created_at", "pk")
                .iterator(chunk_size=1000)
            )
            dates = f"{form.cleaned_data['date_from']}-{form.cleaned_data['date_to']}"
            return csv_response(
                filename=f"{self.opts.model_name}s-{dates}.csv",
                header=self.export_header,
                rows=(self.export_row(obj) for obj in rows),
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": f"Export {self.opts.verbose_name_plural} as CSV",
        }
        return TemplateResponse(request, "admin/csv_export.html", context)
