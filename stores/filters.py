from django_filters import rest_framework as filters

from stores.models import Store, StoreKind, StoreStatus


class StoreFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=StoreKind.choices)
    status = filters.ChoiceFilter(
        choices=StoreStatus.choices,
        help_text="Staff: stores in this review status (others only ever see approved ones).",
    )
    search = filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=120, help_text="Part of the name."
    )

    class Meta:
        model = Store
        fields = ["kind", "status", "search"]
