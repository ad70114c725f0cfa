"""Running the analyzer on a stored photo (the task's body; a module of its own so that
the task and the services that queue it do not import each other)."""

import logging

from django.utils import timezone
from PIL import Image

from skin.analyzers import NotEnoughSkin, analyzer_get, photo_concerns
from skin.models import AnalysisStatus, SkinAnalysis

logger = logging.getLogger(__name__)


def skin_analysis_run(*, analysis_id) -> str | None:
    """Analyse a pending analysis and record the outcome (done with the measures, or failed
    with the reason); its new status, or None when it is gone or no longer pending. Raises
    nothing: a failing analyzer marks the analysis failed."""
    analysis = SkinAnalysis.objects.filter(pk=analysis_id, status=AnalysisStatus.PENDING).first()
    if analysis is None:
        return None
    analyzer = analyzer_get()
    changes: dict = {"analyzer": analyzer.name, "analyzed_at": timezone.now()}
    try:
        with analysis.photo.open("rb") as file, Image.open(file) as image:
            image.load()
            measures = analyzer.analyze(image).as_dict()
    except NotEnoughSkin as exc:
        changes.update(
            status=AnalysisStatus.FAILED,
            measures={"skin_pixel_share": round(exc.share, 4)},
            failure_reason=f"{exc} Too few skin pixels to measure; try a closer, well-lit "
            "photo of bare skin.",
        )
    except Exception:
        logger.exception("Skin analysis %s failed", analysis_id)
        changes.update(status=AnalysisStatus.FAILED, failure_reason="The analysis failed.")
    else:
        changes.update(
            status=AnalysisStatus.DONE, measures=measures, photo_concerns=photo_concerns(measures)
        )
    # Only a still-pending row: a deletion or a second run meanwhile wins.
    updated = SkinAnalysis.objects.filter(pk=analysis_id, status=AnalysisStatus.PENDING).update(
        **changes, updated_at=timezone.now()
    )
    return changes["status"] if updated else None
