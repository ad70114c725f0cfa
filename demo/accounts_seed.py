"""The demo accounts: the three printed users (staff, seller, customer) and the shoppers
the demo history belongs to."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Profile, User

# Fixed, printed on every run: these accounts exist for local demos only.
DEMO_USERS = [
    {
        "email": "staff@example.com",
        "password": "Demo-staff-2026",
        "role": "staff (and admin superuser)",
        "fields": {"is_staff": True, "is_superuser": True},
    },
    {
        "email": "seller@example.com",
        "password": "Demo-seller-2026",
        "role": "seller",
        "fields": {"is_seller": True},
    },
    {
        "email": "dermatologist@example.com",
        "password": "Demo-derm-2026",
        "role": "seller (a dermatologist's store)",
        "fields": {"is_seller": True},
    },
    {
        "email": "customer@example.com",
        "password": "Demo-customer-2026",
        "role": "customer",
        "fields": {},
    },
]
SELLER_EMAIL = "seller@example.com"
DERMATOLOGIST_EMAIL = "dermatologist@example.com"
STAFF_EMAIL = "staff@example.com"
CUSTOMER_EMAIL = "customer@example.com"

DEMO_SHOPPERS = 20
SHOPPER_EMAIL = "shopper{:02d}@example.com"
SHOPPER_PASSWORD = "Demo-shopper-2026"

FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
FIRST_NAMES += ["Margaret", "Tim", "Radia", "Linus", "Hedy", "Dennis", "Karen", "John"]
LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen"]
LAST_NAMES += ["Thompson", "Hamilton", "Berners-Lee", "Perlman", "Torvalds", "Lamarr"]


def shopper_emails() -> list[str]:
    return [SHOPPER_EMAIL.format(number) for number in range(1, DEMO_SHOPPERS + 1)]


@transaction.atomic
def users_ensure() -> dict[str, User]:
    """The DEMO_USERS by email, created when missing; existing ones are left as they are."""
    users = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(email=spec["email"]).first()
        if user is None:
            # create_user also creates the profile.
            user = User.objects.create_user(spec["email"], spec["password"], **spec["fields"])
        users[spec["email"]] = user
    return users


@transaction.atomic
def customers_ensure() -> tuple[list[User], int]:
    """The demo customer and the DEMO_SHOPPERS shoppers (named, public profiles), by email,
    with their profiles; and how many shoppers were created."""
    emails = shopper_emails()
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [email for email in emails if email not in existing]
    if missing:
        # One hash for all of them: hashing is slow on purpose (about 0.3 s each).
        password = make_password(SHOPPER_PASSWORD)
        for email in missing:
            number = int(email[len("shopper") : len("shopper") + 2])
            user = User.objects.create_user(email, None)  # also creates the profile
            Profile.objects.filter(user=user).update(
                first_name=FIRST_NAMES[number % len(FIRST_NAMES)],
                last_name=LAST_NAMES[number % len(LAST_NAMES)],
                visibility=Profile.Visibility.PUBLIC,
            )
        User.objects.filter(email__in=missing).update(password=password)
    customers = list(
        User.objects.filter(email__in=[CUSTOMER_EMAIL, *emails])
        .select_related("profile")
        .order_by("email")
    )
    return customers, len(missing)
