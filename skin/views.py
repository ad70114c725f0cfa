"""Skin profile and analyses: the customer's own (users/me/...), and what the dermatologist
of a shared consultation sees (seller/consultations/{id}/...). Isolation is the selectors':
an analysis the caller may not see answers 404, like one that does not exist."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.exceptions import NotFound
from core.mixins import ServiceViewMixin
from skin import selectors, services
from skin.models import AnalysisViewKind, AnalysisViewVia, SkinAnalysis, SkinProfile
from skin.serializers import (
    AnnotationInput,
    AnnotationSerializer,
    SharedSkinSerializer,
    SkinAnalysisDetailSerializer,
    SkinAnalysisSerializer,
    SkinAnalysisUploadInput,
    SkinProfileInput,
    SkinProfileSerializer,
)

_PHOTO = {
    (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The photo."),
    (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The photo."),
}
_PHOTO_DESCRIPTION = (
    "The stored photo (upright, without metadata), with `Cache-Control: no-store`. Never a "
    "public URL: photos live outside the media files."
)


class _AnyAccept(BaseContentNegotiation):
    """The photo answers an image whatever the client accepts; errors go out as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def photo_response(analysis: SkinAnalysis) -> FileResponse:
    name = analysis.photo.name
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(analysis.photo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="skin-analysis.{name.rsplit(".", 1)[-1]}"'
    return response


def _detail(view, analysis: SkinAnalysis, profile: SkinProfile | None) -> Response:
    context = {
        **view.get_serializer_context(),
        "report": selectors.skin_report_for(analysis=analysis, profile=profile),
    }
    return Response(SkinAnalysisDetailSerializer(analysis, context=context).data)


class SkinProfileView(ServiceViewMixin, GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = SkinProfileSerializer

    @extend_schema(
        tags=["skin"],
        summary="Your skin profile (empty until you save one)",
        responses={200: SkinProfileSerializer},
    )
    def get(self, request):
        profile = selectors.skin_profile_of(user=request.user) or SkinProfile(user=request.user)
        return self.answer(profile)

    @extend_schema(
        tags=["skin"],
        summary="Save your skin profile (the whole questionnaire)",
        description="Skin type, concerns, allergies (ingredient names) and routine. A field "
        "left out is emptied: this replaces the profile.",
        request=SkinProfileInput,
        responses={200: SkinProfileSerializer},
    )
    def put(self, request):
        data = self.validated_input(SkinProfileInput)
        return self.answer(services.skin_profile_save(user=request.user, **data))


@extend_schema_view(
    list=extend_schema(
        tags=["skin"],
        summary="Your skin photo analyses, newest first",
        description="Measures and annotations; the report with products is in the detail.",
    ),
    retrieve=extend_schema(
        tags=["skin"],
        summary="One of your analyses, with its report once done",
        responses={200: SkinAnalysisDetailSerializer},
    ),
    destroy=extend_schema(
        tags=["skin"],
        summary="Delete an analysis and its photo",
        responses={204: None},
    ),
)
class SkinAnalysisViewSet(
    ServiceViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticated]
    # The only body is the upload's.
    parser_classes = [MultiPartParser]
    serializer_class = SkinAnalysisSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SkinAnalysis.objects.none()
        return selectors.skin_analyses_of(user=self.request.user)

    @extend_schema(
        tags=["skin"],
        summary="Upload a skin photo to analyse (multipart `photo`)",
        description=(
            "A JPEG or PNG, within MAX_IMAGE_UPLOAD_BYTES and MAX_IMAGE_PIXELS. It is turned "
            "upright, stripped of its metadata (EXIF, GPS), stored privately, and analysed "
            "in the background: the answer is the analysis, `pending`; read it again for "
            "`done` (with the report) or `failed` (with the reason, e.g. too little skin)."
        ),
        request={"multipart/form-data": SkinAnalysisUploadInput},
        responses={202: SkinAnalysisSerializer},
    )
    def create(self, request):
        data = self.validated_input(SkinAnalysisUploadInput)
        analysis = services.skin_analysis_create(user=request.user, photo=data["photo"])
        return self.answer(analysis, status.HTTP_202_ACCEPTED)

    def retrieve(self, request, pk=None):
        return _detail(self, self.get_object(), selectors.skin_profile_of(user=request.user))

    def destroy(self, request, pk=None):
        services.skin_analysis_delete(analysis=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["skin"],
        summary="The photo of one of your analyses",
        description=_PHOTO_DESCRIPTION,
        responses=_PHOTO,
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_AnyAccept)
    def photo(self, request, pk=None):
        return photo_response(self.get_object())


# --- the dermatologist of a shared consultation -------------------------------------------


class _SharedMixin(ServiceViewMixin, GenericAPIView):
    permission_classes = [IsAuthenticated]

    def consultation(self):
        consultation = selectors.shared_consultation_for(
            dermatologist=self.request.user, consultation_id=self.kwargs["consultation_id"]
        )
        if consultation is None:
            raise NotFound("No consultation shared with you by that id.")
        return consultation

    def shared_analysis(self):
        consultation = self.consultation()
        analysis = (
            selectors.skin_analyses_shared_in(consultation=consultation)
            .filter(pk=self.kwargs["analysis_id"])
            .first()
        )
        if analysis is None:
            raise NotFound("No such analysis in this consultation.")
        return consultation, analysis


class SharedSkinView(_SharedMixin):
    serializer_class = SharedSkinSerializer

    @extend_schema(
        tags=["skin"],
        summary="The customer's shared skin profile and analyses (dermatologist)",
        description=(
            "For a consultation of your store that is confirmed or completed and whose "
            "customer shared their skin profile at booking: the profile and every analysis "
            "of theirs (sharing the profile shares the analyses). Each analysis shown is "
            "recorded in the audit. Otherwise 404."
        ),
        responses={200: SharedSkinSerializer},
    )
    def get(self, request, consultation_id):
        consultation = self.consultation()
        analyses = list(selectors.skin_analyses_shared_in(consultation=consultation))
        services.analysis_views_record(
            analyses=analyses,
            viewer=request.user,
            kind=AnalysisViewKind.REPORT,
            via=AnalysisViewVia.CONSULTATION,
            consultation=consultation,
        )
        data = {
            "consultation": consultation.pk,
            "profile": selectors.skin_profile_of(user=consultation.customer),
            "analyses": analyses,
        }
        return self.answer(data)


class SharedAnalysisView(_SharedMixin):
    serializer_class = SkinAnalysisDetailSerializer

    @extend_schema(
        tags=["skin"],
        summary="One shared analysis with its report (dermatologist)",
        description="Recorded in the audit. 404 unless shared with this consultation.",
        responses={200: SkinAnalysisDetailSerializer},
    )
    def get(self, request, consultation_id, analysis_id):
        consultation, analysis = self.shared_analysis()
        services.analysis_views_record(
            analyses=[analysis],
            viewer=request.user,
            kind=AnalysisViewKind.REPORT,
            via=AnalysisViewVia.CONSULTATION,
            consultation=consultation,
        )
        return _detail(self, analysis, selectors.skin_profile_of(user=consultation.customer))


class SharedAnalysisPhotoView(_SharedMixin):
    content_negotiation_class = _AnyAccept

    @extend_schema(
        tags=["skin"],
        summary="The photo of a shared analysis (dermatologist)",
        description=f"{_PHOTO_DESCRIPTION} Recorded in the audit.",
        responses=_PHOTO,
    )
    def get(self, request, consultation_id, analysis_id):
        consultation, analysis = self.shared_analysis()
        services.analysis_views_record(
            analyses=[analysis],
            viewer=request.user,
            kind=AnalysisViewKind.PHOTO,
            via=AnalysisViewVia.CONSULTATION,
            consultation=consultation,
        )
        return photo_response(analysis)


class SharedAnalysisAnnotationView(_SharedMixin):
    serializer_class = AnnotationSerializer

    @extend_schema(
        tags=["skin"],
        summary="Annotate a shared analysis (dermatologist)",
        description="The customer sees the note with the analysis.",
        request=AnnotationInput,
        responses={201: AnnotationSerializer},
    )
    def post(self, request, consultation_id, analysis_id):
        consultation, analysis = self.shared_analysis()
        data = self.validated_input(AnnotationInput)
        annotation = services.analysis_annotate(
            analysis=analysis, consultation=consultation, author=request.user, text=data["text"]
        )
        return self.answer(annotation, status.HTTP_201_CREATED)
