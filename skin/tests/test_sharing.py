"""What the dermatologist of a consultation sees of a customer's skin data, the audit of
it, annotations, and the admin's support-reason page."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from consultations.models import ConsultationStatus
from skin.models import AnalysisView, AnalysisViewKind, AnalysisViewVia
from skin.tests.conftest import PROFILE, analysis_url, book, make_dermatologist, shared_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(analysed, customer, customer_client, dermatologist):
    customer_client.put(PROFILE, {"skin_type": "dry", "concerns": ["aging"]}, format="json")
    analysis = analysed()
    consultation = book(customer=customer, dermatologist=dermatologist)
    return consultation, analysis


@pytest.mark.parametrize("status", [ConsultationStatus.CONFIRMED, ConsultationStatus.COMPLETED])
def test_the_dermatologist_sees_the_shared_profile_analyses_report_and_photo(
    derm_client, dermatologist, customer, analysed, customer_client, status
):
    customer_client.put(PROFILE, {"skin_type": "dry", "concerns": ["aging"]}, format="json")
    analysis = analysed()
    consultation = book(customer=customer, dermatologist=dermatologist, status=status)

    overview = derm_client.get(shared_url(consultation))
    detail = derm_client.get(shared_url(consultation, f"analyses/{analysis['id']}/"))
    photo = derm_client.get(shared_url(consultation, f"analyses/{analysis['id']}/photo/"))

    assert overview.status_code == 200, overview.content
    assert overview.json()["profile"]["skin_type"] == "dry"
    assert [a["id"] for a in overview.json()["analyses"]] == [analysis["id"]]
    assert detail.status_code == 200
    assert detail.json()["report"]["concerns"][0]["concern"] == "aging"
    assert photo.status_code == 200
    assert "no-store" in photo["Cache-Control"]
    views = AnalysisView.objects.order_by("created_at", "kind")
    assert [(v.kind, v.via, v.viewer_id, v.consultation_id) for v in views] == [
        (AnalysisViewKind.REPORT, AnalysisViewVia.CONSULTATION, dermatologist.pk, consultation.pk),
        (AnalysisViewKind.REPORT, AnalysisViewVia.CONSULTATION, dermatologist.pk, consultation.pk),
        (AnalysisViewKind.PHOTO, AnalysisViewVia.CONSULTATION, dermatologist.pk, consultation.pk),
    ]


def test_the_owner_viewing_their_own_analysis_is_not_audited(analysed, customer_client):
    analysis = analysed()

    customer_client.get(analysis_url(analysis["id"]))
    customer_client.get(analysis_url(analysis["id"], "photo/"))

    assert not AnalysisView.objects.exists()


def _all_404(client, consultation, analysis_id):
    urls = [
        shared_url(consultation),
        shared_url(consultation, f"analyses/{analysis_id}/"),
        shared_url(consultation, f"analyses/{analysis_id}/photo/"),
    ]
    answers = [client.get(url).status_code for url in urls]
    answers.append(
        client.post(
            shared_url(consultation, f"analyses/{analysis_id}/annotation/"),
            {"text": "Hi"},
            format="json",
        ).status_code
    )
    return answers == [404, 404, 404, 404]


def test_another_dermatologist_gets_404(shared, client_for):
    consultation, analysis = shared
    other = client_for(make_dermatologist())

    assert _all_404(other, consultation, analysis["id"])
    assert not AnalysisView.objects.exists()


def test_the_customer_or_a_stranger_gets_404_on_the_dermatologist_routes(
    shared, customer_client, client_for
):
    consultation, analysis = shared

    assert _all_404(customer_client, consultation, analysis["id"])
    assert _all_404(client_for(UserFactory()), consultation, analysis["id"])


def test_a_consultation_that_was_not_shared_gives_404(
    analysed, customer, derm_client, dermatologist
):
    analysis = analysed()
    consultation = book(customer=customer, dermatologist=dermatologist, share=False)

    assert _all_404(derm_client, consultation, analysis["id"])


@pytest.mark.parametrize(
    "status",
    [ConsultationStatus.CANCELLED, ConsultationStatus.PENDING_PAYMENT, ConsultationStatus.NO_SHOW],
)
def test_a_consultation_not_confirmed_or_completed_gives_404(
    analysed, customer, derm_client, dermatologist, status
):
    analysis = analysed()
    consultation = book(customer=customer, dermatologist=dermatologist, status=status)

    assert _all_404(derm_client, consultation, analysis["id"])


def test_an_analysis_of_someone_else_is_not_shared_by_this_consultation(
    shared, derm_client, client_for, django_capture_on_commit_callbacks
):
    from skin.tests.conftest import upload

    consultation, _ = shared
    stranger = client_for(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        theirs = upload(stranger).json()

    response = derm_client.get(shared_url(consultation, f"analyses/{theirs['id']}/"))

    assert response.status_code == 404


def test_the_dermatologist_annotates_and_the_customer_sees_it(
    shared, derm_client, customer_client, dermatologist
):
    consultation, analysis = shared

    response = derm_client.post(
        shared_url(consultation, f"analyses/{analysis['id']}/annotation/"),
        {"text": "  Mild redness on the cheeks; try the calming gel.  "},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["consultation"] == str(consultation.pk)
    seen = customer_client.get(analysis_url(analysis["id"])).json()["annotations"]
    assert [a["text"] for a in seen] == ["Mild redness on the cheeks; try the calming gel."]
    listed = customer_client.get("/api/v1/users/me/skin-analyses/").json()["results"]
    assert listed[0]["annotations"][0]["text"].startswith("Mild redness")


def test_an_empty_annotation_is_400(shared, derm_client):
    consultation, analysis = shared

    response = derm_client.post(
        shared_url(consultation, f"analyses/{analysis['id']}/annotation/"),
        {"text": ""},
        format="json",
    )

    assert response.status_code == 400


def test_the_shared_overview_costs_a_fixed_number_of_queries(
    shared, derm_client, analysed, django_assert_max_num_queries
):
    consultation, _ = shared
    analysed()
    analysed()

    # The caller, the consultation, the analyses, their annotations, the audit insert,
    # the profile (and the savepoint pair around the insert on some databases).
    with django_assert_max_num_queries(8):
        response = derm_client.get(shared_url(consultation))

    assert len(response.json()["analyses"]) == 3
    assert AnalysisView.objects.count() == 3


# --- admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_admin_lists_analyses_without_the_photo(admin, analysed):
    analysis = analysed()

    listing = admin.get("/admin/skin/skinanalysis/")
    change = admin.get(f"/admin/skin/skinanalysis/{analysis['id']}/change/")

    assert listing.status_code == 200 and change.status_code == 200
    assert b"<img" not in change.content
    assert b"See the photo (asks for a support reason)" in change.content
    assert not AnalysisView.objects.exists()


def test_staff_see_a_photo_only_after_giving_a_reason_which_is_audited(admin, admin_user, analysed):
    analysis = analysed()
    url = f"/admin/skin/skinanalysis/{analysis['id']}/photo/"

    form = admin.get(url)
    too_short = admin.post(url, {"reason": "because"})
    shown = admin.post(url, {"reason": "Ticket 4411: the customer says the photo is wrong."})

    assert form.status_code == 200 and form["Content-Type"].startswith("text/html")
    assert too_short["Content-Type"].startswith("text/html")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert "no-store" in shown["Cache-Control"]
    [view] = AnalysisView.objects.all()
    assert (view.viewer_id, view.kind, view.via) == (
        admin_user.pk,
        AnalysisViewKind.PHOTO,
        AnalysisViewVia.SUPPORT,
    )
    assert view.reason.startswith("Ticket 4411")
    assert admin.get("/admin/skin/analysisview/").status_code == 200


def test_the_audit_outlives_the_analysis(shared, derm_client, customer_client):
    consultation, analysis = shared
    derm_client.get(shared_url(consultation, f"analyses/{analysis['id']}/"))

    customer_client.delete(analysis_url(analysis["id"]))

    [view] = AnalysisView.objects.all()
    assert view.analysis_id is None
    assert str(view.analysis_ref) == analysis["id"]
