"""The demo customer's skin data: a profile and one analysis of a generated photo (no
network, no real person), analysed in-process so the report is there at once. The
consultations seed already shares the skin profile with the demo dermatologist."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from accounts.models import User
from demo.accounts_seed import CUSTOMER_EMAIL
from skin.models import SkinAnalysis
from skin.processing import skin_analysis_run
from skin.services import skin_analysis_create, skin_profile_save

DEMO_PROFILE = {
    "skin_type": "combination",
    "concerns": ["acne"],
    "allergies": ["retinol"],
    "routine": "Gentle cleanser morning and night, a light moisturiser, SPF 30 in the day.",
}


def demo_skin_photo() -> bytes:
    """A cheek-like patch: a light skin tone, a flushed area and a few oily highlights."""
    image = Image.new("RGB", (240, 240), (222, 170, 140))
    draw = ImageDraw.Draw(image)
    draw.ellipse([0, 30, 240, 250], fill=(210, 128, 112))
    for x in range(20, 220, 36):
        for y in range(15, 220, 40):
            draw.ellipse([x, y, x + 11, y + 11], fill=(252, 252, 250))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def skin_demo_ensure() -> int:
    """The profile and the analysis, unless the customer has an analysis already; how many
    analyses were created (0 or 1)."""
    customer = User.objects.filter(email=CUSTOMER_EMAIL).first()
    if customer is None or SkinAnalysis.objects.filter(user=customer).exists():
        return 0
    skin_profile_save(user=customer, **DEMO_PROFILE)
    photo = SimpleUploadedFile("demo.jpg", demo_skin_photo(), content_type="image/jpeg")
    analysis = skin_analysis_create(user=customer, photo=photo)
    # Without a broker the task has already run after the commit; with one, run it here
    # so the demo never waits for a worker (a second run is a no-op).
    skin_analysis_run(analysis_id=analysis.pk)
    return 1
