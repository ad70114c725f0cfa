"""The data migration that gives every seller from before stores existed their store."""

import pytest

from core.tests.migrations import migrate_to

BEFORE = [("stores", "0001_initial"), ("catalog", "0008_product_store")]
AFTER = [("stores", "0002_stores_for_existing_sellers")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_existing_sellers_get_an_approved_store_holding_their_products():
    old = migrate_to(BEFORE)
    User = old.get_model("accounts", "User")
    Profile = old.get_model("accounts", "Profile")
    Category = old.get_model("catalog", "Category")
    Product = old.get_model("catalog", "Product")
    seller = User.objects.create(email="ana@example.com", is_seller=True)
    Profile.objects.create(user=seller, first_name="Ana", last_name="Lima")
    idle_seller = User.objects.create(email="idle@example.com", is_seller=True)
    staff_lister = User.objects.create(email="staff@example.com", is_staff=True)
    customer = User.objects.create(email="buyer@example.com")
    category = Category.objects.create(name="Skincare", slug="skincare")

    def product(name, owner, **fields):
        return Product.objects.create(
            name=name,
            slug=name.lower(),
            price="10.00",
            current_price="10.00",
            category=category,
            created_by=owner,
            **fields,
        )

    product("Cream", seller)
    product("Serum", seller, is_active=False)
    product("Toner", staff_lister)
    orphan = product("Orphan", None)

    new = migrate_to(AFTER)
    Store = new.get_model("stores", "Store")
    NewProduct = new.get_model("catalog", "Product")
    NewUser = new.get_model("accounts", "User")

    stores = {store.owner_id: store for store in Store.objects.all()}
    assert set(stores) == {seller.pk, idle_seller.pk, staff_lister.pk}
    assert all(store.status == "approved" for store in stores.values())
    assert stores[seller.pk].name == "Ana Lima"
    assert stores[idle_seller.pk].name == "idle"
    assert stores[seller.pk].product_count == 1  # the inactive one is not on sale
    assert set(
        NewProduct.objects.filter(store=stores[seller.pk]).values_list("name", flat=True)
    ) == {"Cream", "Serum"}
    assert NewProduct.objects.get(name="Toner").store_id == stores[staff_lister.pk].pk
    # Nobody can fulfil a product whose seller is gone: it stays without a store.
    assert NewProduct.objects.get(pk=orphan.pk).store_id is None
    assert NewUser.objects.get(pk=staff_lister.pk).is_seller
    assert not NewUser.objects.get(pk=customer.pk).is_seller
    assert Store.objects.filter(owner_id=customer.pk).count() == 0
