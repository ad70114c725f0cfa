import pytest

from cart.tests.factories import CartFactory
from catalog.tests.factories import ProductFactory


@pytest.fixture
def product(db):
    return ProductFactory(price="19.99", stock_quantity=10)


@pytest.fixture
def guest_cart(db):
    return CartFactory(guest=True)
