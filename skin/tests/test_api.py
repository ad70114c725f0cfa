"""The customer's skin profile and analyses through the API: upload, EXIF removal, the
report with matching products, deletion with the file, and the upload's refusals."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from skin.models import AnalysisStatus, SkinAnalysis, SkinProfile
from skin.tests import images
from skin.tests.conftest import ANALYSES, PROFILE, analysis_url, upload

pytestmark = pytest.mark.django_db


def stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- profile ----------------------------------------------------------------------------


def test_profile_is_empty_until_saved_then_replaced(customer_client):
    empty = customer_client.get(PROFILE)
    assert empty.status_code == 200
    assert empty.json() == {
        "skin_type": "",
        "concerns": [],
        "allergies": [],
        "routine": "",
        "updated_at": None,
    }

    saved = customer_client.put(
        PROFILE,
        {
            "skin_type": "oily",
            "concerns": ["acne", "pores", "acne"],
            "allergies": ["Fragrance ", "LINALOOL"],
            "routine": "Cleanser, moisturiser.",
        },
        format="json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["concerns"] == ["acne", "pores"]
    assert saved.json()["allergies"] == ["fragrance", "linalool"]

    replaced = customer_client.put(PROFILE, {"skin_type": "dry"}, format="json")
    assert replaced.json()["concerns"] == []
    assert customer_client.get(PROFILE).json()["skin_type"] == "dry"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"skin_type": "greasy"}, "skin_type"),
        ({"concerns": ["wrinkles"]}, "concerns.0"),
        ({"allergies": ["x" * 61]}, "allergies.0"),
        ({"routine": "x" * 2001}, "routine"),
    ],
)
def test_profile_is_validated(customer_client, body, field):
    response = customer_client.put(PROFILE, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


def test_profile_needs_authentication(api_client):
    assert api_client.get(PROFILE).status_code == 401


# --- upload and analysis ----------------------------------------------------------------


def test_upload_answers_202_pending_then_the_task_measures_it(
    customer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(customer_client, images.patch(images.RED_SKIN))

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    detail = customer_client.get(analysis_url(response.json()["id"])).json()
    assert detail["status"] == "done"
    assert detail["measures"]["redness"] > 22
    assert detail["analyzer"] == "builtin-ycbcr-lab-v1"
    concerns = detail["report"]["concerns"]
    assert concerns[0]["concern"] == "redness" and concerns[0]["sources"] == ["photo"]
    assert "not a diagnosis" in detail["report"]["about"]


def test_a_photo_without_skin_fails_with_the_reason_and_no_measures(analysed, customer_client):
    created = analysed(images.patch((0, 0, 255)))

    detail = customer_client.get(analysis_url(created["id"])).json()
    assert detail["status"] == "failed"
    assert "Too few skin pixels" in detail["failure_reason"]
    assert detail["measures"] == {"skin_pixel_share": 0.0}
    assert detail["report"] is None


def test_exif_and_gps_are_removed_and_the_orientation_applied(analysed):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPS
    source = images.patch(size=(300, 200))
    raw = images.encoded(source, "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the upload has a GPS tag

    created = analysed(source, exif=exif.tobytes())

    analysis = SkinAnalysis.objects.get(pk=created["id"])
    [path] = stored_files()
    assert path.read_bytes() == analysis.photo.open("rb").read()
    stored = Image.open(path)
    assert stored.size == (200, 300)  # turned upright
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert b"PhoneMaker" not in path.read_bytes()
    assert not str(path).startswith(str(settings.MEDIA_ROOT))
    assert created["width"] == 200 and created["height"] == 300


def test_png_is_kept_png_without_text_chunks(analysed):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Paris")
    created = analysed(images.patch(), image_format="PNG", name="me.png", pnginfo=info)

    [path] = stored_files()
    assert path.suffix == ".png"
    assert b"Paris" not in path.read_bytes()
    assert created["status"] == "pending"


@pytest.mark.parametrize(
    "data, name",
    [
        (b"not an image at all", "fake.jpg"),
        (images.encoded(images.patch(), "GIF"), "anim.gif"),
        (images.encoded(images.patch(), "WEBP"), "photo.webp"),
    ],
)
def test_anything_but_a_real_jpeg_or_png_is_400_and_nothing_is_stored(customer_client, data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile(name, data, content_type="image/jpeg")
    response = customer_client.post(ANALYSES, {"photo": photo}, format="multipart")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert "photo" in response.json()["errors"]
    assert not SkinAnalysis.objects.exists()
    assert stored_files() == []


def test_an_oversized_upload_is_400_and_nothing_is_stored(customer_client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1000

    response = upload(customer_client, images.blotchy(size=(400, 400)), quality=100)

    assert response.status_code == 400
    assert "too large" in response.json()["errors"]["photo"][0]
    assert not SkinAnalysis.objects.exists() and stored_files() == []


def test_too_many_pixels_is_400_and_nothing_is_stored(customer_client, settings):
    settings.MAX_IMAGE_PIXELS = 100 * 100

    response = upload(customer_client, images.patch(size=(101, 100)))

    assert response.status_code == 400
    assert "pixels" in response.json()["errors"]["photo"][0]
    assert not SkinAnalysis.objects.exists() and stored_files() == []


def test_json_body_is_refused_for_the_upload(customer_client):
    response = customer_client.post(ANALYSES, {"photo": "x"}, format="json")

    assert response.status_code == 415


# --- report: matching products and allergies -----------------------------------------------


def test_report_suggests_in_stock_matching_products_without_the_allergens(
    analysed, customer_client
):
    customer_client.put(
        PROFILE,
        {"skin_type": "sensitive", "concerns": ["acne"], "allergies": ["Fragrance"]},
        format="json",
    )
    ProductFactory(name="Calm", concerns=["redness"], skin_types=["sensitive"])
    ProductFactory(name="Clear", concerns=["acne"], skin_types=[], ingredients=["zinc"])
    ProductFactory(name="Scented", concerns=["redness"], ingredients=["fragrance", "aloe"])
    ProductFactory(name="Oily only", concerns=["redness"], skin_types=["oily"])
    ProductFactory(name="Sold out", concerns=["redness"], stock_quantity=0)
    ProductFactory(name="Hidden", concerns=["redness"], is_active=False)
    ProductFactory(name="Unrelated", concerns=["aging"])

    created = analysed(images.patch(images.RED_SKIN))
    report = customer_client.get(analysis_url(created["id"])).json()["report"]

    assert sorted(p["name"] for p in report["products"]) == ["Calm", "Clear"]
    by_name = {p["name"]: p for p in report["products"]}
    assert by_name["Calm"]["matched_concerns"] == ["redness"]
    assert by_name["Clear"]["matched_concerns"] == ["acne"]
    assert [(c["concern"], c["sources"]) for c in report["concerns"]] == [
        ("acne", ["profile"]),
        ("redness", ["photo"]),
    ]


# --- list, delete -----------------------------------------------------------------------


def test_list_shows_only_own_analyses_in_a_fixed_number_of_queries(
    analysed, customer_client, client_for, django_assert_max_num_queries
):
    for _ in range(3):
        analysed()
    other = client_for(UserFactory())

    # The caller, the page count, the rows, their annotations.
    with django_assert_max_num_queries(4):
        response = customer_client.get(ANALYSES)

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert other.get(ANALYSES).json()["count"] == 0


def test_another_user_gets_404_for_the_analysis_and_its_photo(analysed, client_for):
    created = analysed()
    stranger = client_for(UserFactory())

    assert stranger.get(analysis_url(created["id"])).status_code == 404
    assert stranger.get(analysis_url(created["id"], "photo/")).status_code == 404
    assert stranger.delete(analysis_url(created["id"])).status_code == 404


def test_the_owner_gets_the_photo_with_no_store(analysed, customer_client):
    created = analysed()

    response = customer_client.get(analysis_url(created["id"], "photo/"), HTTP_ACCEPT="image/*")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "JPEG"


def test_deleting_an_analysis_deletes_its_file(
    analysed, customer_client, django_capture_on_commit_callbacks
):
    created = analysed()
    assert len(stored_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.delete(analysis_url(created["id"]))

    assert response.status_code == 204
    assert not SkinAnalysis.objects.exists()
    assert stored_files() == []


def test_deleting_the_account_deletes_the_files(
    analysed, customer, django_capture_on_commit_callbacks
):
    from accounts.services import users_delete

    analysed()
    analysed()
    assert len(stored_files()) == 2

    with django_capture_on_commit_callbacks(execute=True):
        users_delete(user_ids=[customer.pk])

    assert not SkinAnalysis.objects.exists()
    assert stored_files() == []


def test_closing_one_s_own_account_deletes_the_analyses_profile_and_files(
    analysed, customer, customer_client, django_capture_on_commit_callbacks
):
    analysed()
    customer_client.put(
        "/api/v1/users/me/skin-profile/",
        {"skin_type": "dry", "concerns": ["redness"], "allergies": [], "routine": ""},
        format="json",
    )
    assert SkinProfile.objects.filter(user=customer).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.delete("/api/v1/users/me/")

    assert response.status_code == 204
    assert not SkinAnalysis.objects.exists()
    assert not SkinProfile.objects.exists()
    assert stored_files() == []


def test_a_failing_analyzer_marks_the_analysis_failed(analysed, settings, customer_client):
    settings.SKIN_ANALYZER = "skin.tests.test_api.BrokenAnalyzer"

    created = analysed()

    analysis = SkinAnalysis.objects.get(pk=created["id"])
    assert analysis.status == AnalysisStatus.FAILED
    assert analysis.failure_reason == "The analysis failed."


class BrokenAnalyzer:
    name = "broken"

    def analyze(self, image):
        raise RuntimeError("boom")
