from django.conf import settings
from django.db import models

from catalog.models import SkinType
from core.models import BaseModel
from skin.storage import get_private_storage

ROUTINE_MAX_LENGTH = 2000
ANNOTATION_MAX_LENGTH = 2000


class SkinProfile(BaseModel):
    """A customer's answers to the skin questionnaire; one per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skin_profile"
    )
    skin_type = models.CharField(max_length=16, choices=SkinType.choices, blank=True)
    # catalog.SkinConcern values, sorted and unique.
    concerns = models.JSONField(default=list, blank=True)
    # Ingredient names, normalised like products' (catalog.services.ingredient_names_normalise).
    allergies = models.JSONField(default=list, blank=True)
    routine = models.TextField(blank=True, max_length=ROUTINE_MAX_LENGTH)

    def __str__(self):
        return f"Skin profile of {self.user_id}"


class AnalysisStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def _photo_path(instance, filename):
    # Never the client's file name: it could say something about the person.
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"skin/{instance.user_id}/{instance.pk}.{extension}"


class SkinAnalysis(BaseModel):
    """One photo and what the analyzer measured on it. The photo is health data: it lives
    in the private storage and is handed out only by skin.views."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skin_analyses"
    )
    photo = models.FileField(storage=get_private_storage, upload_to=_photo_path, max_length=255)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=8, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING
    )
    # skin.analyzers.Measures as a dict, once analysed (also the skin-pixel share of a
    # photo that failed for showing too little skin).
    measures = models.JSONField(null=True, blank=True)
    # What the measures suggest on their own: [{"concern", "measure", "value", "threshold"}].
    photo_concerns = models.JSONField(default=list, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    analyzer = models.CharField(max_length=200, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "skin analyses"
        indexes = [models.Index(fields=["user", "-created_at"], name="skin_analysis_user_idx")]

    def __str__(self):
        return f"Skin analysis {self.pk} ({self.status})"


class AnalysisAnnotation(BaseModel):
    """A dermatologist's note on an analysis, written in a consultation it was shared with;
    the customer sees it with the analysis."""

    analysis = models.ForeignKey(SkinAnalysis, on_delete=models.CASCADE, related_name="annotations")
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=ANNOTATION_MAX_LENGTH)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["analysis", "created_at"], name="skin_annotation_idx")]

    def __str__(self):
        return f"Annotation on {self.analysis_id}"


class AnalysisViewKind(models.TextChoices):
    REPORT = "report", "Report"
    PHOTO = "photo", "Photo"


class AnalysisViewVia(models.TextChoices):
    CONSULTATION = "consultation", "A consultation it was shared with"
    SUPPORT = "support", "Staff support, with a reason"


class AnalysisView(BaseModel):
    """Audit: someone other than the owner saw an analysis's report or photo. Kept after
    the analysis is deleted (its id stays; the link goes null)."""

    analysis = models.ForeignKey(
        SkinAnalysis, null=True, on_delete=models.SET_NULL, related_name="views"
    )
    analysis_ref = models.UUIDField(help_text="The analysis's id, kept after it is deleted.")
    owner_ref = models.UUIDField(help_text="The owner's user id.")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=AnalysisViewKind.choices)
    via = models.CharField(max_length=16, choices=AnalysisViewVia.choices)
    consultation = models.ForeignKey(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["analysis_ref", "-created_at"], name="skin_view_analysis_idx")
        ]

    def __str__(self):
        return f"{self.kind} of {self.analysis_ref} seen by {self.viewer_id}"
