"""Reads of the skin app. Who may see an analysis is decided here: the owner's queryset
holds only their analyses, a dermatologist's only those of a consultation shared with
them that is confirmed or completed; any other id is simply not found (a 404)."""

from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from catalog.models import Product, SkinConcern
from catalog.selectors import json_list_has_any_q, json_list_has_q, sellable_q
from consultations.models import Consultation, ConsultationStatus
from skin.models import AnalysisAnnotation, AnalysisStatus, SkinAnalysis, SkinProfile

# While a consultation is in one of these, its dermatologist sees what was shared.
SHARING_STATUSES = (ConsultationStatus.CONFIRMED, ConsultationStatus.COMPLETED)
MATCHING_PRODUCTS_LIMIT = 8

ABOUT_THE_REPORT = (
    "These are measurements of the colours in one photo, not a diagnosis. Lighting, the "
    "camera, make-up and the skin's own tone change them; they cannot tell a condition "
    "from a passing flush. The concerns are suggestions combined with what you told us in "
    "your skin profile. See a dermatologist about anything that worries you."
)


def skin_profile_of(*, user) -> SkinProfile | None:
    return SkinProfile.objects.filter(user=user).first()


def _with_annotations(queryset: QuerySet[SkinAnalysis]) -> QuerySet[SkinAnalysis]:
    return queryset.prefetch_related(
        Prefetch(
            "annotations",
            queryset=AnalysisAnnotation.objects.select_related("consultation__store"),
        )
    )


def skin_analyses_of(*, user) -> QuerySet[SkinAnalysis]:
    """The user's analyses, newest first, with their annotations (two queries)."""
    return _with_annotations(SkinAnalysis.objects.filter(user=user)).order_by("-created_at", "-id")


def shared_consultation_for(*, dermatologist, consultation_id: UUID) -> Consultation | None:
    """The consultation if `dermatologist` owns its store, the customer shared their skin
    profile with it, and it is confirmed or completed; else None."""
    return (
        Consultation.objects.filter(
            pk=consultation_id,
            store__owner=dermatologist,
            share_skin_profile=True,
            status__in=SHARING_STATUSES,
        )
        .select_related("customer")
        .first()
    )


def skin_analyses_shared_in(*, consultation: Consultation) -> QuerySet[SkinAnalysis]:
    """Sharing the skin profile with a booking shares the customer's analyses with it
    too, those made later included, while the consultation is confirmed or completed."""
    return skin_analyses_of(user=consultation.customer)


@dataclass
class ReportConcern:
    concern: str
    sources: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def report_concerns(*, analysis: SkinAnalysis, profile: SkinProfile | None) -> list[ReportConcern]:
    """The photo's suggested concerns and the questionnaire's, merged, in the vocabulary's
    order."""
    found: dict[str, ReportConcern] = {}
    for item in analysis.photo_concerns or []:
        entry = found.setdefault(item["concern"], ReportConcern(item["concern"]))
        entry.sources.append("photo")
        comparison = "at least" if item["measure"] != "evenness" else "at most"
        entry.reasons.append(
            f"{item['measure']} {item['value']} is {comparison} {item['threshold']} ({item['why']})"
        )
    for concern in profile.concerns if profile else []:
        entry = found.setdefault(concern, ReportConcern(concern))
        entry.sources.append("profile")
        entry.reasons.append("You listed it in your skin profile.")
    order = {value: index for index, value in enumerate(SkinConcern.values)}
    return sorted(found.values(), key=lambda entry: order.get(entry.concern, len(order)))


def matching_products(
    *,
    concerns: list[str],
    skin_type: str = "",
    allergies: list[str] | None = None,
    limit: int = MATCHING_PRODUCTS_LIMIT,
    exclude_ids=(),
) -> list[Product]:
    """In-stock products on sale that address one of `concerns`, suit `skin_type` (or say
    nothing about skin types), and contain none of `allergies` (exact, normalised
    ingredient names), leaving out `exclude_ids` (ids, or querysets of ids); best rated
    first. Each carries `matched_concerns`. One query."""
    if not concerns:
        return []
    queryset = Product.objects.filter(
        sellable_q(), json_list_has_any_q(field="concerns", values=concerns), stock_quantity__gt=0
    )
    for ids in exclude_ids:
        queryset = queryset.exclude(pk__in=ids)
    if skin_type:
        queryset = queryset.filter(
            json_list_has_q(field="skin_types", value=skin_type) | _empty_list_q("skin_types")
        )
    if allergies:
        queryset = queryset.exclude(json_list_has_any_q(field="ingredients", values=allergies))
    products = list(
        queryset.select_related("store").order_by("-average_rating", "name", "id")[:limit]
    )
    for product in products:
        # An attribute for the report's serializer, not a model field.
        product.matched_concerns = [  # type: ignore[attr-defined]
            c for c in concerns if c in (product.concerns or [])
        ]
    return products


def _empty_list_q(name: str) -> Q:
    return Q(**{name: []})


@dataclass
class SkinReport:
    measures: dict
    concerns: list[ReportConcern]
    products: list[Product]
    about: str = ABOUT_THE_REPORT


def skin_report_for(*, analysis: SkinAnalysis, profile: SkinProfile | None) -> SkinReport | None:
    """The report of a done analysis (None before): its measures, the concerns, and the
    products that match them and the profile's skin type and allergies."""
    if analysis.status != AnalysisStatus.DONE:
        return None
    concerns = report_concerns(analysis=analysis, profile=profile)
    products = matching_products(
        concerns=[entry.concern for entry in concerns],
        skin_type=profile.skin_type if profile else "",
        allergies=list(profile.allergies) if profile else [],
    )
    return SkinReport(measures=analysis.measures or {}, concerns=concerns, products=products)
