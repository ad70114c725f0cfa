"""What the demo customers did besides buying: reviews (of what they received, and a few of
products they never bought), wishlists, and carts (mostly abandoned guest carts). Bounded
and idempotent like the orders (demo.history): every row has a demo id, and only what is
missing is created."""

import random
import uuid
from datetime import timedelta

from cart.models import Cart, CartItem
from demo.history import HISTORY_DAYS, History
from demo.rows import create_missing, create_with_timestamps, demo_id, demo_random
from orders.models import SOLD_STATUSES, OrderItem, OrderStatus
from reviews.models import Review, ReviewStatus
from reviews.services import product_ratings_refresh
from wishlist.models import Wishlist, WishlistItem

WISHLIST_OWNERS = 12
# Guest carts per demo order (most are abandoned): cart-to-order conversion about 0.5.
CARTS_PER_ORDER = 2

COMMENTS = {
    1: ["Broke me out within a week.", "Not for sensitive skin, sadly."],
    2: ["Texture is nice but it did little for me.", "Too heavily scented for my taste."],
    3: ["Does the job, nothing special.", "Fine, though the pump jams."],
    4: ["Very gentle, I will buy it again.", "Good value, absorbs quickly."],
    5: ["Holy grail product!", "My skin has never looked better.", "Worth every cent."],
}


def reviews_write(history: History, *, order_ids: list[uuid.UUID]) -> None:
    """Buyers review some of what they received (verified purchases); a few shoppers
    review products they never bought. Then the reviewed products' ratings, through the
    reviews app's own recomputation."""
    bought = (
        OrderItem.objects.filter(
            order_id__in=order_ids, order__status__in=SOLD_STATUSES, product__isnull=False
        )
        .values_list("order__user_id", "product_id", "order__status", "order__created_at")
        .order_by("order__created_at")
    )
    purchased = {(user_id, product_id) for user_id, product_id, _, _ in bought}
    wanted = {}  # (user id, product id) -> when it was reviewed
    for user_id, product_id, status, placed_at in bought:
        rng = demo_random("review", user_id, product_id)
        if status == OrderStatus.DELIVERED and rng.random() < 0.45:
            wanted.setdefault((user_id, product_id), placed_at + timedelta(days=8))
    for customer in history.customers:
        rng = demo_random("review-unverified", customer.email)
        for _ in range(rng.choice([0, 0, 1, 2])):
            product = history.pick(rng)
            when = history.now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
            wanted.setdefault((customer.pk, product.pk), when)

    ids = {key: demo_id("review", *key) for key in wanted}
    existing = set(Review.objects.filter(pk__in=ids.values()).values_list("pk", flat=True))
    reviews = []
    for (user_id, product_id), when in wanted.items():
        if ids[user_id, product_id] in existing:
            continue
        rng = demo_random("rating", user_id, product_id)
        # Each product has a quality of its own; ratings scatter around it.
        quality = demo_random("quality", product_id).uniform(2.6, 4.9)
        rating = min(5, max(1, round(rng.gauss(quality, 0.9))))
        roll = rng.random()
        status = (
            ReviewStatus.HIDDEN
            if roll < 0.05
            else ReviewStatus.PENDING
            if roll < 0.1
            else ReviewStatus.APPROVED
        )
        review = Review(
            id=ids[user_id, product_id],
            product_id=product_id,
            user_id=user_id,
            rating=rating,
            comment=rng.choice(COMMENTS[rating]) if rng.random() < 0.6 else "",
            status=status,
            verified_purchase=(user_id, product_id) in purchased,
            moderated_by=history.staff if status == ReviewStatus.HIDDEN else None,
            moderated_at=min(when + timedelta(days=1), history.now)
            if status == ReviewStatus.HIDDEN
            else None,
        )
        review.created_at = review.updated_at = min(when, history.now)
        reviews.append(review)
    # ignore_conflicts: a shopper who already reviewed the product by hand keeps theirs.
    create_with_timestamps(Review, reviews, ignore_conflicts=True)
    created = Review.objects.filter(pk__in=[review.pk for review in reviews])
    history.report.reviews = created.count()
    reviewed = list(created.values_list("product_id", flat=True).distinct())
    history.report.rated_products = product_ratings_refresh(product_ids=reviewed)


def wishlists_write(history: History) -> None:
    """A wishlist of a few pool products for each of the first WISHLIST_OWNERS customers."""
    owners = history.customers[:WISHLIST_OWNERS]
    have = set(Wishlist.objects.filter(user__in=owners).values_list("user_id", flat=True))
    lists = [
        Wishlist(id=demo_id("wishlist", owner.email), user=owner)
        for owner in owners
        if owner.pk not in have
    ]
    Wishlist.objects.bulk_create(lists)
    history.report.wishlists = len(lists)
    wishlist_of = dict(Wishlist.objects.filter(user__in=owners).values_list("user_id", "pk"))
    items = []
    for owner in owners:
        rng = demo_random("wishlist", owner.email)
        products = {history.pick(rng) for _ in range(rng.randint(2, 6))}
        for product in sorted(products, key=lambda product: product.slug):
            item = WishlistItem(
                id=demo_id("wishlist", owner.email, product.pk),
                wishlist_id=wishlist_of[owner.pk],
                product=product,
            )
            item.created_at = item.updated_at = history.now - timedelta(
                days=rng.uniform(0, HISTORY_DAYS)
            )
            items.append(item)
    # Only the new lists are filled: what a user removed from theirs stays removed.
    new_lists = {wishlist.pk for wishlist in lists}
    created = create_missing(
        WishlistItem,
        [item for item in items if item.wishlist_id in new_lists],
        ignore_conflicts=True,
    )
    history.report.wishlist_items = len(created)


def carts_write(history: History) -> None:
    """CARTS_PER_ORDER guest carts per demo order, and a cart for every other customer."""
    carts, items = [], []
    for number in range(1, history.order_count * CARTS_PER_ORDER + 1):
        rng = demo_random("cart", number)
        cart = Cart(id=demo_id("cart", number), token=f"demo{demo_id('token', number).hex}")
        _fill(history, cart, rng, items)
        carts.append(cart)
    # Half the shoppers left something in their own cart.
    have = set(Cart.objects.filter(user__in=history.customers).values_list("user_id", flat=True))
    for customer in history.customers[::2]:
        if customer.pk not in have:
            cart = Cart(id=demo_id("cart", customer.email), user=customer)
            _fill(history, cart, demo_random("cart", customer.email), items)
            carts.append(cart)
    created = create_missing(Cart, carts)
    history.report.carts = len(created)
    # Only the new carts are filled: what a user took out of their cart stays out.
    create_missing(CartItem, [item for item in items if item.cart_id in created])


def _fill(history: History, cart: Cart, rng: random.Random, items: list[CartItem]) -> None:
    created = history.now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
    cart.created_at = created
    cart.updated_at = min(created + timedelta(minutes=rng.uniform(1, 90)), history.now)
    products = {history.pick(rng) for _ in range(rng.randint(1, 3))}
    for product in sorted(products, key=lambda product: product.slug):
        item = CartItem(
            id=demo_id("cart-item", cart.pk, product.pk),
            cart=cart,
            product=product,
            quantity=rng.choice([1, 1, 1, 2]),
        )
        item.created_at = item.updated_at = cart.created_at
        items.append(item)
