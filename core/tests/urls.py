"""A tiny URLconf for tests of the request-parsing errors, independent of other apps."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class EchoView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        return Response({"received": request.data})


class BoomView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


urlpatterns = [
    path("echo/", EchoView.as_view()),
    path("boom/", BoomView.as_view()),
    path("", include("config.urls")),
]
