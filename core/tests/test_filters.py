"""LeanFilterSet: one form class per FilterSet class, filters copied one level deep."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django_filters import rest_framework as filters

from core.filters import LeanFilterSet

pytestmark = pytest.mark.django_db


class ContentTypeFilter(LeanFilterSet):
    app = filters.CharFilter(field_name="app_label")
    model_name = filters.CharFilter(method="filter_model_name")
    min_id = filters.NumberFilter(field_name="id", lookup_expr="gte")

    class Meta:
        model = ContentType
        fields = []

    def filter_model_name(self, queryset, name, value):
        self.asked.append(value)
        return queryset.filter(model=value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked = []


def test_each_instance_filters_with_its_own_copies_and_its_own_methods():
    queryset = ContentType.objects.order_by("id")
    users = ContentTypeFilter({"app": "auth", "model_name": "permission"}, queryset=queryset)
    groups = ContentTypeFilter({"model_name": "group"}, queryset=queryset)

    assert users.is_valid() and groups.is_valid()
    assert [(row.app_label, row.model) for row in users.qs] == [("auth", "permission")]
    assert [row.model for row in groups.qs] == ["group"]
    # Each method filter called the method of the instance it belongs to.
    assert users.asked == ["permission"]
    assert groups.asked == ["group"]
    for name in ("app", "model_name"):
        assert users.filters[name] is not groups.filters[name]
        assert users.filters[name] is not ContentTypeFilter.base_filters[name]
        assert users.filters[name].parent is users
        assert groups.filters[name].parent is groups
    # The class's own filters belong to no instance.
    assert not hasattr(ContentTypeFilter.base_filters["model_name"], "parent")


def test_a_bad_value_is_an_error_of_its_instance_only_and_the_form_class_is_shared():
    bad = ContentTypeFilter({"min_id": "many"})
    good = ContentTypeFilter({"min_id": "1"})
    assert not bad.is_valid()
    assert list(bad.errors) == ["min_id"]
    assert good.is_valid()
    assert good.qs.count() == ContentType.objects.count()
    assert bad.form.__class__ is good.form.__class__
