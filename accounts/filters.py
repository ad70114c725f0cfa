import django_filters

from accounts.models import User


class UserFilter(django_filters.FilterSet):
    is_staff = django_filters.BooleanFilter()
    is_seller = django_filters.BooleanFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["is_staff", "is_seller", "is_active"]
