import uuid

import pytest

from accounts.models import Address
from accounts.services import address_create
from accounts.tests.factories import AddressFactory, UserFactory

ADDRESSES = "/api/v1/users/me/addresses/"

pytestmark = pytest.mark.django_db


def _payload(**overrides):
    return {
        "label": "Home",
        "full_name": "Ada Lovelace",
        "line1": "12 St James's Square",
        "city": "London",
        "postal_code": "SW1Y 4JH",
        "country": "GB",
        **overrides,
    }


def _url(address) -> str:
    return f"{ADDRESSES}{address.pk}/"


def _add(user, **overrides) -> Address:
    return address_create(user=user, **_payload(**overrides))


def test_first_address_becomes_the_default(user_client, user):
    response = user_client.post(ADDRESSES, _payload())

    assert response.status_code == 201
    body = response.json()
    assert body["is_default"] is True
    assert body["country"] == "GB"
    assert Address.objects.get(pk=body["id"]).user == user


def test_a_second_address_is_not_default_unless_asked(user_client, user):
    first = _add(user)

    response = user_client.post(ADDRESSES, _payload(label="Office"))

    assert response.status_code == 201
    assert response.json()["is_default"] is False
    first.refresh_from_db()
    assert first.is_default is True


def test_creating_a_default_address_unsets_the_previous_default(user_client, user):
    first = _add(user)

    response = user_client.post(ADDRESSES, _payload(label="Office", is_default=True))

    assert response.status_code == 201
    assert response.json()["is_default"] is True
    first.refresh_from_db()
    assert first.is_default is False
    assert Address.objects.filter(user=user, is_default=True).count() == 1


def test_patching_is_default_moves_the_default(user_client, user):
    first = _add(user)
    second = _add(user, label="Office")

    response = user_client.patch(_url(second), {"is_default": True})

    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_default_of_one_user_does_not_touch_another_users_default(user_client, user):
    stranger_default = _add(UserFactory())

    user_client.post(ADDRESSES, _payload(is_default=True))

    stranger_default.refresh_from_db()
    assert stranger_default.is_default is True


def test_list_shows_only_own_addresses_default_first(user_client, user):
    _add(user, label="Home")
    _add(user, label="Office", is_default=True)
    AddressFactory()  # someone else's

    response = user_client.get(ADDRESSES)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [a["label"] for a in body["results"]] == ["Office", "Home"]


def test_retrieve_update_and_delete_own_address(user_client, user):
    address = _add(user)

    assert user_client.get(_url(address)).json()["city"] == "London"
    put = user_client.put(_url(address), _payload(city="Bath", postal_code="BA1 1AA"))
    assert put.status_code == 200
    assert put.json()["city"] == "Bath"
    assert user_client.delete(_url(address)).status_code == 204
    assert not Address.objects.filter(pk=address.pk).exists()


def test_deleting_the_default_promotes_another_address(user_client, user):
    default = _add(user)
    other = _add(user, label="Office")

    user_client.delete(_url(default))

    other.refresh_from_db()
    assert other.is_default is True


def test_another_users_address_is_404(user_client):
    foreign = AddressFactory()

    assert user_client.get(_url(foreign)).status_code == 404
    assert user_client.patch(_url(foreign), {"city": "Paris"}).status_code == 404
    assert user_client.delete(_url(foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.city != "Paris"


def test_unknown_and_malformed_ids_are_404(user_client):
    unknown = user_client.get(f"{ADDRESSES}{uuid.uuid4()}/")
    malformed = user_client.get(f"{ADDRESSES}not-a-uuid/")

    assert unknown.status_code == 404
    assert malformed.status_code == 404
    assert malformed.json()["code"] == "not_found"


@pytest.mark.parametrize("country", ["XX", "gb", "GBR", "G", ""])
def test_country_must_be_an_upper_case_iso_code(user_client, country):
    response = user_client.post(ADDRESSES, _payload(country=country))

    assert response.status_code == 400
    assert "country" in response.json()["errors"]
    assert not Address.objects.exists()


def test_required_address_fields(user_client):
    response = user_client.post(ADDRESSES, {})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "full_name",
        "line1",
        "city",
        "postal_code",
        "country",
    }


def test_addresses_require_authentication(api_client):
    assert api_client.get(ADDRESSES).status_code == 401
    assert api_client.post(ADDRESSES, _payload()).status_code == 401


def test_address_list_query_count_does_not_grow(user_client, user, django_assert_max_num_queries):
    for i in range(3):
        _add(user, label=f"A{i}")
    with django_assert_max_num_queries(3) as small:
        assert user_client.get(ADDRESSES).status_code == 200

    for i in range(3, 15):
        _add(user, label=f"A{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert user_client.get(ADDRESSES).json()["count"] == 15
