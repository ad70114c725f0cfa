"""A tiny URLconf for tests of the request-parsing errors, independent of other apps."""

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.parsers import JSONParser


class EchoView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    # The API's default is JSON only; this view also takes the form encodings a view may opt
    # into, so the size and field-count guards are tested for them too.
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request):
        return Response({"received": request.data})


class BoomView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


@csrf_exempt
def raw_body_view(request):
    """A plain Django view (no DRF) that reads the raw body."""
    return JsonResponse({"length": len(request.body)})


@csrf_exempt
def form_view(request):
    """A plain Django view (no DRF) that reads the form fields."""
    return JsonResponse({"fields": len(request.POST)})


urlpatterns = [
    path("echo/", EchoView.as_view()),
    path("raw/", raw_body_view),
    path("form/", form_view),
    path("boom/", BoomView.as_view()),
    path("", include("config.urls")),
]

# The project's error handlers, as in config.urls (Django reads them from the root URLconf).
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
