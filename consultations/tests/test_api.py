"""Consultations over the API: services, availability, slots, booking and paying, the
status machine with its refund rules, the dermatologist's dashboard and isolation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from consultations.models import Consultation, ConsultationStatus
from consultations.services import consultations_expire_holds, consultations_send_reminders
from consultations.tests.helpers import book, day_after_tomorrow_slots, move_to, pay
from earnings.models import LedgerEntry
from orders.models import FulfilmentStatus, Order, OrderStatus
from payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def derm_client(client_for, dermatologist):
    return client_for(dermatologist)


@pytest.fixture
def customer_client(client_for, customer):
    return client_for(customer)


@pytest.fixture
def booked(customer_client, derm_store, service):
    slot = day_after_tomorrow_slots(customer_client, derm_store, service)[0]
    response = book(customer_client, service, slot, note="Dry patches", share_skin_profile=True)
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def confirmed(customer_client, booked):
    response = pay(customer_client, booked["order_id"])
    assert response.status_code in (200, 201), response.json()
    return booked


def _get(client, consultation):
    return client.get(f"/api/v1/consultations/{consultation['id']}/")


# --- services and availability ---------------------------------------------------------


def test_a_dermatologist_offers_services_and_anyone_lists_the_active_ones(
    derm_client, api_client, derm_store
):
    created = derm_client.post(
        "/api/v1/consultation-services/",
        {"name": "Rosacea", "duration_minutes": 30, "price": "45.00"},
        format="json",
    )
    hidden = derm_client.post(
        "/api/v1/consultation-services/",
        {"name": "Old", "duration_minutes": 30, "price": "1.00", "is_active": False},
        format="json",
    )

    public = api_client.get(f"/api/v1/stores/{derm_store.slug}/services/")

    assert created.status_code == 201, created.json()
    assert created.json()["currency"] == "USD"
    assert hidden.status_code == 201
    assert [s["name"] for s in public.json()["results"]] == ["Rosacea"]


@pytest.mark.parametrize("minutes", [10, 121])
def test_a_service_lasts_15_to_120_minutes(derm_client, minutes):
    response = derm_client.post(
        "/api/v1/consultation-services/",
        {"name": "X", "duration_minutes": minutes, "price": "1.00"},
        format="json",
    )

    assert response.status_code == 400
    assert "duration_minutes" in response.json()["errors"]


def test_a_brand_store_cannot_offer_a_consultation(client_for, seller):
    response = client_for(seller).post(
        "/api/v1/consultation-services/",
        {"name": "X", "duration_minutes": 30, "price": "1.00"},
        format="json",
    )

    assert response.status_code == 404


def test_deleting_a_service_stops_offering_it(derm_client, service, api_client, derm_store):
    response = derm_client.delete(f"/api/v1/consultation-services/{service.pk}/")

    assert response.status_code == 204
    service.refresh_from_db()
    assert service.is_active is False
    assert api_client.get(f"/api/v1/stores/{derm_store.slug}/services/").json()["results"] == []


def test_availability_is_validated_and_replaced(derm_client):
    bad = derm_client.put(
        "/api/v1/seller/availability/",
        {"timezone": "Mars/Olympus", "weekly": [{"weekday": 0, "start": "10:00", "end": "09:00"}]},
        format="json",
    )
    wrong_window = derm_client.put(
        "/api/v1/seller/availability/",
        {"timezone": "Europe/Paris", "weekly": [{"weekday": 0, "start": "10:00", "end": "09:00"}]},
        format="json",
    )
    good = derm_client.put(
        "/api/v1/seller/availability/",
        {
            "timezone": "America/New_York",
            "weekly": [{"weekday": 2, "start": "09:00", "end": "12:30"}],
            "exceptions": [{"date": "2027-01-01", "closed": True}],
        },
        format="json",
    )

    assert bad.status_code == 400 and "timezone" in bad.json()["errors"]
    assert wrong_window.status_code == 400 and "weekly" in wrong_window.json()["errors"]
    assert good.status_code == 200, good.json()
    assert derm_client.get("/api/v1/seller/availability/").json() == {
        "timezone": "America/New_York",
        "weekly": [{"weekday": 2, "start": "09:00", "end": "12:30"}],
        "exceptions": [{"date": "2027-01-01", "closed": True}],
    }


# --- slots -----------------------------------------------------------------------------


def test_slots_carry_offsets_respect_lead_time_and_refuse_long_ranges(
    api_client, derm_store, service, settings
):
    today = timezone.now().date()
    response = api_client.get(
        f"/api/v1/stores/{derm_store.slug}/slots/",
        {
            "service": service.pk,
            "from": today.isoformat(),
            "to": (today + timedelta(1)).isoformat(),
        },
    )
    too_long = api_client.get(
        f"/api/v1/stores/{derm_store.slug}/slots/",
        {"service": service.pk, "from": "2027-01-01", "to": "2027-02-01"},
    )

    assert response.status_code == 200
    slots = [parse_datetime(s) for s in response.json()["slots"]]
    assert slots and all(s.utcoffset() is not None for s in slots)
    lead = timedelta(hours=settings.CONSULTATION_MIN_LEAD_HOURS)
    assert min(slots) >= timezone.now() + lead - timedelta(seconds=5)
    assert response.json()["timezone"] == "Europe/Paris"
    paris = {timedelta(hours=1), timedelta(hours=2)}
    assert {s.utcoffset() for s in slots} <= paris
    assert too_long.status_code == 400
    assert too_long.json()["code"] == "validation_error"


def test_no_slots_beyond_the_horizon(api_client, derm_store, service, settings):
    far = (timezone.now() + timedelta(days=settings.CONSULTATION_HORIZON_DAYS + 2)).date()

    response = api_client.get(
        f"/api/v1/stores/{derm_store.slug}/slots/",
        {"service": service.pk, "from": far.isoformat(), "to": far.isoformat()},
    )

    assert response.json()["slots"] == []


def test_a_held_or_booked_slot_is_not_offered_and_an_expired_hold_is(
    customer_client, api_client, derm_store, service, booked
):
    offered = day_after_tomorrow_slots(api_client, derm_store, service)
    assert booked["starts_at"] not in offered

    Consultation.objects.filter(pk=booked["id"]).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )

    offered = day_after_tomorrow_slots(api_client, derm_store, service)
    assert parse_datetime(booked["starts_at"]) in [parse_datetime(s) for s in offered]


def test_slots_of_an_unknown_or_brand_store_are_404(api_client, seller, service):
    brand = seller.store

    assert api_client.get(f"/api/v1/stores/{brand.slug}/slots/").status_code == 404
    assert api_client.get("/api/v1/stores/nope/slots/").status_code == 404


# --- booking and paying ----------------------------------------------------------------


def test_booking_holds_the_slot_with_a_one_line_order_paid_like_any_sale(
    customer_client, booked, derm_store, service, django_capture_on_commit_callbacks
):
    assert booked["status"] == "pending_payment"
    assert booked["join_url"] is None
    order = Order.objects.get(pk=booked["order_id"])
    assert order.status == OrderStatus.PENDING
    assert order.total == Decimal("80.00")
    [item] = order.items.all()
    assert item.product_id is None and item.product_name == "Consultation: Acne review"
    [fulfilment] = order.fulfilments.all()
    assert fulfilment.store == derm_store
    assert fulfilment.commission == Decimal("8.00")  # the platform's default 10 %

    with django_capture_on_commit_callbacks(execute=True):
        paid = pay(customer_client, booked["order_id"])

    assert paid.status_code in (200, 201), paid.json()
    consultation = Consultation.objects.get(pk=booked["id"])
    assert consultation.status == ConsultationStatus.CONFIRMED
    assert consultation.hold_expires_at is None
    assert LedgerEntry.objects.filter(store=derm_store, kind="sale").count() == 1
    confirmation = [m for m in mail.outbox if "is booked" in m.subject]
    assert len(confirmation) == 1
    [(name, ics, mimetype)] = confirmation[0].attachments
    assert name == "consultation.ics" and mimetype.startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics and f"UID:consultation-{consultation.pk}@marketplace" in ics
    assert consultation.starts_at.strftime("DTSTART:%Y%m%dT%H%M%SZ") in ics


def test_a_time_that_is_no_free_slot_is_409_slot_unavailable(
    customer_client, client_for, derm_store, service, booked
):
    other = client_for(UserFactory())
    taken = book(other, service, booked["starts_at"])
    off_grid = book(other, service, (parse_datetime(booked["starts_at"]) + timedelta(minutes=7)))
    naive = book(other, service, "2027-01-12T10:00:00")
    no_such_minute = book(other, service, "2027-01-12T10:60:00Z")

    assert taken.status_code == 409 and taken.json()["code"] == "slot_unavailable"
    assert off_grid.status_code == 409 and off_grid.json()["code"] == "slot_unavailable"
    assert naive.status_code == 400
    assert no_such_minute.status_code == 400
    assert list(no_such_minute.json()["errors"]) == ["starts_at"]
    assert Consultation.objects.count() == 1


def test_a_customer_holds_at_most_the_configured_unpaid_bookings(
    customer_client, derm_store, service, settings
):
    settings.CONSULTATION_MAX_HOLDS_PER_CUSTOMER = 2
    slots = day_after_tomorrow_slots(customer_client, derm_store, service)

    answers = [book(customer_client, service, slot).status_code for slot in slots[:3]]

    assert answers == [201, 201, 409]


def test_the_dermatologist_cannot_book_their_own_store(derm_client, derm_store, service):
    slot = day_after_tomorrow_slots(derm_client, derm_store, service)[0]

    assert book(derm_client, service, slot).status_code == 400


def test_an_expired_hold_is_cancelled_by_the_job_and_frees_the_slot(booked):
    Consultation.objects.filter(pk=booked["id"]).update(
        hold_expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert consultations_expire_holds() == 1

    consultation = Consultation.objects.get(pk=booked["id"])
    assert consultation.status == ConsultationStatus.CANCELLED
    assert consultation.order.status == OrderStatus.CANCELLED
    assert consultations_expire_holds() == 0


def test_a_new_booking_takes_over_the_slot_of_an_expired_hold(client_for, service, booked):
    Consultation.objects.filter(pk=booked["id"]).update(
        hold_expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = book(client_for(UserFactory()), service, booked["starts_at"])

    assert response.status_code == 201, response.json()
    assert Consultation.objects.get(pk=booked["id"]).status == ConsultationStatus.CANCELLED


# --- join window -----------------------------------------------------------------------


def test_join_url_only_inside_the_window_and_only_for_the_participants(
    customer_client, derm_client, client_for, confirmed, settings
):
    assert _get(customer_client, confirmed).json()["join_url"] is None

    move_to(confirmed["id"], timezone.now() + timedelta(minutes=5))

    for client in (customer_client, derm_client):
        url = _get(client, confirmed).json()["join_url"]
        assert url.startswith(settings.VIDEO_BASE_URL + "/consultation-")
        assert len(url.split("/consultation-", 1)[1]) >= 40  # 32 random bytes
    assert _get(client_for(UserFactory()), confirmed).status_code == 404

    move_to(confirmed["id"], timezone.now() - timedelta(minutes=61))  # ended a minute ago
    assert _get(customer_client, confirmed).json()["join_url"] is None


# --- cancellation and rescheduling ------------------------------------------------------


def test_an_early_cancel_refunds_in_full(customer_client, confirmed):
    response = customer_client.post(f"/api/v1/consultations/{confirmed['id']}/cancel/", {})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled" and response.json()["refunded"] is True
    payment = Payment.objects.get(order_id=confirmed["order_id"])
    assert payment.amount_refunded == Decimal("80.00")
    assert Order.objects.get(pk=confirmed["order_id"]).status == OrderStatus.CANCELLED


def test_a_late_cancel_is_not_refunded_and_the_store_keeps_the_sale(customer_client, confirmed):
    move_to(confirmed["id"], timezone.now() + timedelta(hours=3))

    response = customer_client.post(f"/api/v1/consultations/{confirmed['id']}/cancel/", {})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["refunded"] is False
    assert Payment.objects.get(order_id=confirmed["order_id"]).amount_refunded == 0
    order = Order.objects.get(pk=confirmed["order_id"])
    assert order.status == OrderStatus.DELIVERED
    assert order.fulfilments.get().status == FulfilmentStatus.DELIVERED


def test_a_late_cancel_through_the_order_is_refused(customer_client, confirmed):
    move_to(confirmed["id"], timezone.now() + timedelta(hours=3))

    response = customer_client.post(f"/api/v1/orders/{confirmed['order_id']}/cancel/", {})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert Consultation.objects.get(pk=confirmed["id"]).status == ConsultationStatus.CONFIRMED
    assert Payment.objects.get(order_id=confirmed["order_id"]).amount_refunded == 0


def test_the_dermatologist_cancels_any_time_with_a_full_refund(
    derm_client, confirmed, django_capture_on_commit_callbacks
):
    move_to(confirmed["id"], timezone.now() + timedelta(hours=3))

    with django_capture_on_commit_callbacks(execute=True):
        response = derm_client.post(
            f"/api/v1/seller/consultations/{confirmed['id']}/cancel/", {"reason": "Ill"}
        )

    assert response.status_code == 200, response.json()
    assert response.json()["refunded"] is True
    assert Payment.objects.get(order_id=confirmed["order_id"]).amount_refunded == Decimal("80.00")
    assert any("cancelled" in m.subject for m in mail.outbox)


def test_reschedule_to_another_free_slot_and_not_too_late(
    customer_client, derm_store, service, confirmed, django_capture_on_commit_callbacks
):
    slots = day_after_tomorrow_slots(customer_client, derm_store, service)

    with django_capture_on_commit_callbacks(execute=True):
        moved = customer_client.post(
            f"/api/v1/consultations/{confirmed['id']}/reschedule/",
            {"starts_at": slots[-1]},
            format="json",
        )
    taken = customer_client.post(
        f"/api/v1/consultations/{confirmed['id']}/reschedule/",
        {"starts_at": "2000-01-01T10:00:00+00:00"},
        format="json",
    )

    assert moved.status_code == 200, moved.json()
    assert parse_datetime(moved.json()["starts_at"]) == parse_datetime(slots[-1])
    assert taken.status_code == 409 and taken.json()["code"] == "slot_unavailable"
    assert any("has moved" in m.subject and m.attachments for m in mail.outbox)

    move_to(confirmed["id"], timezone.now() + timedelta(hours=3))
    late = customer_client.post(
        f"/api/v1/consultations/{confirmed['id']}/reschedule/",
        {"starts_at": slots[0]},
        format="json",
    )
    assert late.status_code == 409 and late.json()["code"] == "invalid_transition"


# --- the dermatologist's dashboard ------------------------------------------------------


def test_completion_waits_for_the_join_window_then_delivers_the_sale(
    derm_client, customer_client, confirmed, derm_store, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock_quantity=5)
    body = {
        "summary": "Use a gentle cleanser.",
        "private_notes": "Consider isotretinoin if no change.",
        "recommended_products": [{"product_id": str(product.pk), "note": "Twice a day"}],
    }
    early = derm_client.post(
        f"/api/v1/seller/consultations/{confirmed['id']}/complete/", body, format="json"
    )
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"

    move_to(confirmed["id"], timezone.now() - timedelta(minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        done = derm_client.post(
            f"/api/v1/seller/consultations/{confirmed['id']}/complete/", body, format="json"
        )

    assert done.status_code == 200, done.json()
    assert done.json()["private_notes"] == body["private_notes"]
    seen = _get(customer_client, confirmed).json()
    assert seen["status"] == "completed" and seen["summary"] == body["summary"]
    assert "private_notes" not in seen
    assert "isotretinoin" not in str(seen)
    assert any("summary" in m.subject for m in mail.outbox)
    assert not any("isotretinoin" in m.body for m in mail.outbox)
    assert seen["recommended_products"] == [
        {"product_id": str(product.pk), "product_name": product.name, "note": "Twice a day"}
    ]
    order = Order.objects.get(pk=confirmed["order_id"])
    assert order.fulfilments.get().status == FulfilmentStatus.DELIVERED

    added = customer_client.post(f"/api/v1/consultations/{confirmed['id']}/regimen/add-to-cart/")
    assert added.status_code == 200, added.json()
    assert added.json() == {"added": [str(product.pk)], "skipped": []}
    cart = customer_client.get("/api/v1/cart/").json()
    assert [line["product"]["id"] for line in cart["items"]] == [str(product.pk)]


def test_no_show_after_the_window_opened_is_not_refunded(derm_client, confirmed):
    move_to(confirmed["id"], timezone.now() + timedelta(minutes=5))

    response = derm_client.post(f"/api/v1/seller/consultations/{confirmed['id']}/no-show/")

    assert response.status_code == 200
    assert response.json()["status"] == "no_show"
    assert Payment.objects.get(order_id=confirmed["order_id"]).amount_refunded == 0


def test_the_dashboard_lists_the_store_s_consultations_with_what_the_customer_shared(
    derm_client, confirmed, customer
):
    listing = derm_client.get("/api/v1/seller/consultations/", {"status": "confirmed"})
    empty = derm_client.get("/api/v1/seller/consultations/", {"status": "completed"})
    bad = derm_client.get("/api/v1/seller/consultations/", {"from": "yesterday"})

    [row] = listing.json()["results"]
    assert row["customer"]["email"] == customer.email
    assert row["share_skin_profile"] is True and row["note"] == "Dry patches"
    assert empty.json()["results"] == []
    assert bad.status_code == 400


def test_another_dermatologist_and_a_third_user_get_404(client_for, confirmed, service):
    other = UserFactory()
    from accounts.tests.factories import approved_store_for
    from stores.models import StoreKind

    approved_store_for(other, kind=StoreKind.DERMATOLOGIST)
    stranger = client_for(UserFactory())
    rival = client_for(other)

    assert rival.get(f"/api/v1/seller/consultations/{confirmed['id']}/").status_code == 404
    assert rival.post(f"/api/v1/seller/consultations/{confirmed['id']}/no-show/").status_code == 404
    assert rival.get(f"/api/v1/consultations/{confirmed['id']}/").status_code == 404
    assert stranger.get(f"/api/v1/consultations/{confirmed['id']}/").status_code == 404
    assert stranger.post(f"/api/v1/consultations/{confirmed['id']}/cancel/").status_code == 404
    assert (
        rival.patch(
            f"/api/v1/consultation-services/{service.pk}/", {"price": "1.00"}, format="json"
        ).status_code
        == 404
    )


def test_the_customer_s_list_shows_their_own_only(customer_client, client_for, confirmed):
    assert [c["id"] for c in customer_client.get("/api/v1/consultations/").json()["results"]] == [
        confirmed["id"]
    ]
    assert client_for(UserFactory()).get("/api/v1/consultations/").json()["results"] == []


def test_reminders_are_sent_once_the_day_and_the_hour_before(
    confirmed, django_capture_on_commit_callbacks
):
    move_to(confirmed["id"], timezone.now() + timedelta(minutes=50))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert consultations_send_reminders() == 2  # both are due now
        assert consultations_send_reminders() == 0
    subjects = sorted(m.subject.split(":")[0] for m in mail.outbox)
    assert subjects == ["In an hour", "Tomorrow"]


def test_a_booking_s_order_cannot_be_shipped_by_the_store_or_by_staff(
    derm_client, client_for, staff, confirmed
):
    fulfilment = Order.objects.get(pk=confirmed["order_id"]).fulfilments.get()
    body = {"tracking_number": "X1", "carrier": "Post"}

    by_store = derm_client.post(
        f"/api/v1/seller/fulfilments/{fulfilment.pk}/ship/", body, format="json"
    )
    by_staff = client_for(staff).post(
        f"/api/v1/orders/{confirmed['order_id']}/ship/", body, format="json"
    )

    assert by_store.status_code == 409 and by_store.json()["code"] == "invalid_transition"
    assert by_staff.status_code == 409
    fulfilment.refresh_from_db()
    assert fulfilment.status == FulfilmentStatus.PAID


def test_the_order_of_a_booking_lists_with_no_shipping_address(customer_client, booked):
    listed = customer_client.get("/api/v1/orders/")
    detail = customer_client.get(f"/api/v1/orders/{booked['order_id']}/")

    assert listed.status_code == 200
    assert [order["shipping_address"] for order in listed.json()["results"]] == [None]
    assert detail.status_code == 200 and detail.json()["shipping_address"] is None


def test_a_malformed_consultation_id_is_a_404(customer_client, booked):
    response = customer_client.get("/api/v1/consultations/null,null/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
