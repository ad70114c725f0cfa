"""Staff and seller metrics: parse the window -> compute the figures with aggregate SQL
(dashboard.selectors) -> serialize, as JSON or as a CSV download."""

from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from core.serializers import ValidationErrorSerializer
from dashboard.exports import metrics_csv
from dashboard.permissions import IsStaffOrSeller
from dashboard.selectors import MetricsWindow, metrics_compute
from dashboard.serializers import (
    DEFAULT_TOP,
    DEFAULT_WINDOW_DAYS,
    MAX_LOW_STOCK,
    MAX_TOP,
    MAX_WINDOW_DAYS,
    MetricsQueryInput,
    MetricsSerializer,
)

_DATE_OR_DATETIME = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}
METRICS_PARAMETERS = [
    OpenApiParameter(
        "from",
        _DATE_OR_DATETIME,
        description=(
            "Start of the window, inclusive: a date (from its midnight, UTC) or a datetime. "
            f"Default: {DEFAULT_WINDOW_DAYS} days before `to`."
        ),
    ),
    OpenApiParameter(
        "to",
        _DATE_OR_DATETIME,
        description=(
            "End of the window: a date is inclusive (its whole day), a datetime exclusive. "
            f"Default: today (whole). The window may span at most {MAX_WINDOW_DAYS} days."
        ),
    ),
    OpenApiParameter(
        "top",
        {"type": "integer", "minimum": 1, "maximum": MAX_TOP},
        description=f"Length of each top-products list (default {DEFAULT_TOP}, max {MAX_TOP}).",
    ),
    OpenApiParameter(
        "low_stock",
        {"type": "integer", "minimum": 0, "maximum": MAX_LOW_STOCK},
        description="Stock at or below which an active product is listed as low "
        "(default: the LOW_STOCK_THRESHOLD setting).",
    ),
]
_BAD_QUERY = OpenApiResponse(
    ValidationErrorSerializer,
    description="A malformed date, `from` after `to`, a window over "
    f"{MAX_WINDOW_DAYS} days, or `top`/`low_stock` out of range.",
)
_DESCRIPTION = (
    "Staff see the whole store; a seller sees the same figures restricted to the order "
    "items of the products they created (orders = orders holding one of them; revenue = "
    "their line totals). Figures cover orders, payments and carts created in the window. "
    "Revenue counts paid, shipped and delivered orders (pending and cancelled excluded) "
    "per currency, with refunds on those orders and net = gross - refunds. Order "
    "completion rate = delivered / placed orders that are not pending. Payment success "
    "rate = succeeded (or since refunded) / payments in a final state. Cart-to-order "
    "conversion = orders placed / carts created in the window (staff only: carts are "
    "emptied at checkout, so a seller's share of carts is not known; `rate` is null with "
    "an `explanation`). Top products come from order item snapshots, so deleted products "
    "still count under the name they were sold under. API response time (staff only): "
    "p50 and p95 in milliseconds per route group, from the per-minute latency histograms "
    "the servers keep (the current minute of each server is written when it ends)."
)


class _IgnoreAcceptHeader(BaseContentNegotiation):
    """The export answers CSV whatever the client accepts (a browser download sends
    `Accept: text/csv` or anything else); errors still go out as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _MetricsView(GenericAPIView):
    permission_classes = [IsStaffOrSeller]
    serializer_class = MetricsSerializer
    filter_backends = []
    pagination_class = None

    def metrics(self, request) -> tuple[dict, MetricsWindow]:
        query = MetricsQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = metrics_compute(
            user=request.user,
            window=query.validated_data["window"],
            top=query.validated_data["top"],
            low_stock_threshold=query.validated_data["low_stock"],
        )
        return MetricsSerializer(figures).data, query.validated_data["window"]


class MetricsView(_MetricsView):
    @extend_schema(
        operation_id="dashboard_metrics",
        summary="Store metrics (staff) or sales of the caller's products (sellers)",
        description=_DESCRIPTION,
        parameters=METRICS_PARAMETERS,
        responses={200: MetricsSerializer, 400: _BAD_QUERY},
    )
    def get(self, request):
        data, _ = self.metrics(request)
        return Response(data)


class MetricsExportView(_MetricsView):
    content_negotiation_class = _IgnoreAcceptHeader

    @extend_schema(
        operation_id="dashboard_metrics_export",
        summary="The same metrics as a CSV download",
        description=(
            "The figures of `dashboard/metrics/` with the same parameters and permissions, "
            "as `text/csv` with the columns `section,key,value`: one row per figure, nested "
            "keys dotted (`revenue,USD.gross,120.00`; list items numbered from 1, "
            "`top_products,by_units.1.name,...`)."
        ),
        parameters=METRICS_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="A CSV attachment (Content-Disposition)."
            ),
            400: _BAD_QUERY,
        },
    )
    def get(self, request):
        data, window = self.metrics(request)
        first = timezone.localtime(window.start).date()
        last = timezone.localtime(window.end - timedelta(microseconds=1)).date()
        filename = f"metrics-{data['scope']}-{first.isoformat()}-{last.isoformat()}.csv"
        response = HttpResponse(metrics_csv(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
