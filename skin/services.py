"""Writes of the skin app: the questionnaire, photo analyses (stored privately, analysed
after commit), their deletion with their files, annotations and the audit of views."""

import io
import logging
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.services import ingredient_names_normalise
from consultations.models import Consultation
from core.exceptions import BusinessValidationError
from skin.models import (
    AnalysisAnnotation,
    AnalysisView,
    AnalysisViewKind,
    AnalysisViewVia,
    SkinAnalysis,
    SkinProfile,
)
from skin.storage import private_storage
from skin.tasks import analyse_skin_photo as analyse_skin_photo_task

logger = logging.getLogger(__name__)

SKIN_PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png"}
JPEG_QUALITY = 90


@transaction.atomic
def skin_profile_save(
    *,
    user,
    skin_type: str = "",
    concerns: Iterable[str] = (),
    allergies: Iterable[str] = (),
    routine: str = "",
) -> SkinProfile:
    """Create or replace the caller's skin profile; raises nothing (the input is checked
    by skin.serializers.SkinProfileInput)."""
    values = {
        "skin_type": skin_type,
        "concerns": sorted(set(concerns)),
        "allergies": ingredient_names_normalise(allergies),
        "routine": routine.strip(),
    }
    try:
        with transaction.atomic():
            profile, _ = SkinProfile.objects.update_or_create(user=user, defaults=values)
    except IntegrityError:
        # Two first saves at once: the other one created the row; this one updates it.
        profile, _ = SkinProfile.objects.update_or_create(user=user, defaults=values)
    return profile


def skin_photo_clean(*, upload) -> tuple[ContentFile, int, int]:
    """The upload re-encoded without any metadata (EXIF with its GPS position and camera,
    XMP, ICC, text chunks), turned upright first (the EXIF orientation applied to the
    pixels, since the tag that said it is dropped). Raises BusinessValidationError for
    anything but a decodable JPEG or PNG. Size and pixel caps are checked before, by
    core.validators.validate_image_upload."""
    refused = BusinessValidationError({"photo": ["Upload a JPEG or PNG photo."]})
    try:
        upload.seek(0)
        with Image.open(upload) as opened:
            image_format = opened.format
            if image_format not in SKIN_PHOTO_FORMATS:
                raise refused
            upright = ImageOps.exif_transpose(opened)
            upright.load()
    except BusinessValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    mode = "RGB" if image_format == "JPEG" or upright.mode not in ("RGB", "RGBA", "L") else None
    # A fresh image holds the pixels only: no `info` (exif, icc_profile, dpi, comments)
    # can reach the encoder.
    clean = Image.new(mode or upright.mode, upright.size)
    clean.paste(upright.convert(mode) if mode else upright)
    out = io.BytesIO()
    if image_format == "JPEG":
        clean.save(out, format="JPEG", quality=JPEG_QUALITY)
    else:
        clean.save(out, format="PNG", optimize=True)
    return (
        ContentFile(out.getvalue(), name=f"photo.{SKIN_PHOTO_FORMATS[image_format]}"),
        clean.width,
        clean.height,
    )


@transaction.atomic
def skin_analysis_create(*, user, photo) -> SkinAnalysis:
    """Store a cleaned copy of the photo privately and queue its analysis after commit
    (status pending until then). Raises BusinessValidationError for a photo that is not
    a JPEG or PNG."""
    content, width, height = skin_photo_clean(upload=photo)
    analysis = SkinAnalysis(user=user, width=width, height=height)
    analysis.photo.save(str(content.name), content, save=False)
    stored = str(analysis.photo.name)
    # The file is written before the row; a row that cannot be written takes it along.
    try:
        with transaction.atomic():
            analysis.save()
    except Exception:
        private_storage.delete(stored)
        raise
    analysis_id = str(analysis.pk)
    transaction.on_commit(lambda: analyse_skin_photo_task.delay(analysis_id), robust=True)
    return analysis


def _delete_files_on_commit(names: list[str]) -> None:
    def delete():
        for name in names:
            try:
                private_storage.delete(name)
            except OSError:
                logger.exception("Could not delete the skin photo %s", name)

    if names:
        transaction.on_commit(delete, robust=True)


@transaction.atomic
def skin_analysis_delete(*, analysis: SkinAnalysis) -> None:
    """Delete the analysis, its annotations, and its photo file after commit. Raises
    nothing."""
    name = analysis.photo.name
    analysis.delete()
    _delete_files_on_commit([name] if name else [])


def skin_data_delete_by_users(*, user_ids) -> None:
    """USERS_DELETING and USERS_CLOSING: the users' analyses and profiles go now, in the
    publisher's transaction, and their photo files once it commits (the rows would cascade,
    the files would stay)."""
    analyses = SkinAnalysis.objects.filter(user_id__in=list(user_ids))
    names = [name for name in analyses.values_list("photo", flat=True) if name]
    analyses.delete()
    SkinProfile.objects.filter(user_id__in=list(user_ids)).delete()
    _delete_files_on_commit(names)


def analysis_views_record(
    *,
    analyses: Iterable[SkinAnalysis],
    viewer,
    kind: str,
    via: str,
    consultation: Consultation | None = None,
    reason: str = "",
) -> None:
    """One audit row per analysis someone other than its owner saw. Raises nothing."""
    rows = [
        AnalysisView(
            analysis=analysis,
            analysis_ref=analysis.pk,
            owner_ref=analysis.user_id,
            viewer=viewer,
            kind=kind,
            via=via,
            consultation=consultation,
            reason=reason[:255],
        )
        for analysis in analyses
        if analysis.user_id != getattr(viewer, "pk", None)
    ]
    AnalysisView.objects.bulk_create(rows)


@transaction.atomic
def analysis_photo_support_view(*, analysis: SkinAnalysis, staff, reason: str) -> None:
    """Record why a staff member opens a customer's photo, before it is shown. Raises
    BusinessValidationError without a reason."""
    reason = " ".join(reason.split())
    if len(reason) < 10:
        raise BusinessValidationError({"reason": ["Say why you need to see this photo."]})
    analysis_views_record(
        analyses=[analysis],
        viewer=staff,
        kind=AnalysisViewKind.PHOTO,
        via=AnalysisViewVia.SUPPORT,
        reason=reason,
    )


@transaction.atomic
def analysis_annotate(
    *, analysis: SkinAnalysis, consultation: Consultation, author, text: str
) -> AnalysisAnnotation:
    """The dermatologist's note on an analysis shared in `consultation` (the caller found
    both through skin.selectors, which checks the sharing). Raises nothing."""
    return AnalysisAnnotation.objects.create(
        analysis=analysis, consultation=consultation, author=author, text=text.strip()
    )
