"""Query-string filters of the catalog. A malformed value is a 400, never a 500 or a
silently ignored filter."""

import uuid
from dataclasses import replace
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from catalog.models import Brand, Category, Product, SkinConcern, SkinType
from catalog.search import (
    TYPO_ALTERNATIVES,
    TYPO_MIN_MATCHES,
    apply_substring_search,
    few_matches,
    full_text_search_available,
    parse_search,
    search_exclusion_q,
    search_match_q,
)
from catalog.selectors import (
    brand_ids_matching,
    category_descendant_ids,
    category_ids_matching,
    json_list_has_q,
    search_vocabulary,
)
from core.filters import LeanFilterSet
from core.schema import decimal_pattern


class StrictBooleanField(forms.Field):
    """true/false (and 1/0, yes/no); anything else is an error, unlike NullBooleanField
    which quietly drops values it does not understand."""

    TRUE = {"true", "1", "yes", "on"}
    FALSE = {"false", "0", "no", "off"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's BooleanWidget turns unknown values into None before the field
        # sees them; a plain text input lets the field refuse them.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"})
class SlugFilter(filters.CharFilter):
    field_class = forms.SlugField


class ParentField(forms.Field):
    """A category id, or `null` for top-level categories."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).strip().lower() == "null":
            return "null"
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise forms.ValidationError(
                "Use a category id, or null for top-level categories.", code="invalid"
            ) from None


@extend_schema_field(
    {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "string", "enum": ["null"]}]}
)
class ParentFilter(filters.CharFilter):
    field_class = ParentField


class CategoryFilter(filters.FilterSet):
    parent = ParentFilter(
        method="filter_parent",
        help_text="Children of this category id; `null` lists the top-level categories.",
    )

    class Meta:
        model = Category
        fields = ["parent"]

    def filter_parent(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value == "null":
            return queryset.filter(parent__isnull=True)
        return queryset.filter(parent_id=value)


class ProductFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "max_price must not be below min_price.")
        return cleaned


_PRICE = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": decimal_pattern(max_digits=12, decimal_places=2, min_value=Decimal(0)),
    }
)
class PriceFilter(filters.NumberFilter):
    """An amount of at most 10 whole digits and 2 decimals, 0 or more."""


class ProductFilter(LeanFilterSet):
    search = filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text=(
            "Words to find in the product name, brand, category and description (on "
            "PostgreSQL: full-text, the last word as a prefix while it is typed, `-word` "
            "excludes, typos forgiven when few products match; best match first unless "
            "`ordering` is given). Several words: every word must match."
        ),
    )
    category = SlugFilter(
        method="filter_category",
        help_text="Category slug; includes products of all its subcategories.",
    )
    brand = SlugFilter(method="filter_brand", help_text="Brand slug.")
    # Both read the stored effective price (Product.current_price), which an index serves.
    min_price = PriceFilter(
        field_name="current_price",
        lookup_expr="gte",
        help_text="Effective price at least.",
        **_PRICE,
    )
    max_price = PriceFilter(
        field_name="current_price",
        lookup_expr="lte",
        help_text="Effective price at most.",
        **_PRICE,
    )
    in_stock = StrictBooleanFilter(
        method="filter_in_stock", help_text="Only products in stock (true) or out of stock (false)."
    )
    store = SlugFilter(field_name="store__slug", help_text="The store's slug.")
    seller = filters.UUIDFilter(
        field_name="store__owner_id", help_text="The seller's user id (its store's owner)."
    )
    is_active = StrictBooleanFilter(
        field_name="is_active",
        help_text="Staff and sellers (own products) may list inactive products.",
    )
    # jsonb containment on PostgreSQL, served by the GIN indexes on the lists.
    skin_type = filters.ChoiceFilter(
        choices=SkinType.choices,
        method="filter_skin_type",
        help_text="Only products suited to this skin type.",
    )
    concern = filters.ChoiceFilter(
        choices=SkinConcern.choices,
        method="filter_concern",
        help_text="Only products that address this skin concern.",
    )

    class Meta:
        model = Product
        form = ProductFilterForm
        fields = []

    # Set by filter_search: the parsed search, for ordering by relevance (catalog.listing).
    product_search = None

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The search goes last, so that whether its matches are "few" (and typos are
        # corrected) is judged among the products the other filters keep.
        data = dict(self.form.cleaned_data)
        search = data.pop("search", None)
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        if search not in (None, ""):
            queryset = self.filters["search"].filter(queryset, search)
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        search = parse_search(value)
        if search.is_empty:
            return queryset
        if not full_text_search_available():
            if search.tokens:  # words to find (not only words to leave out): by relevance
                self.product_search = search
            return apply_substring_search(queryset, search, _resolve_names)
        if not search.words:
            # Only excluded words, or nothing searchable ("%"): no relevance either.
            if search.tokens:
                return queryset.none()
            return queryset.filter(search_exclusion_q(search))
        matches = queryset.filter(search_match_q(search))
        vocabulary = search_vocabulary(
            words=search.words,
            prefix_word=search.words[-1] if search.prefix else None,
            per_word=TYPO_ALTERNATIVES,
        )
        unknown = [word for word in search.words if word not in vocabulary.known]
        if unknown:
            # A word no name contains: most likely misspelt.
            corrections = {w: vocabulary.similar[w] for w in unknown if w in vocabulary.similar}
        elif few_matches(matches, fewer_than=TYPO_MIN_MATCHES):
            corrections = vocabulary.similar
        else:
            corrections = {}
        if corrections:
            search = replace(search, corrections=corrections)
            matches = queryset.filter(search_match_q(search))
        self.product_search = search
        return matches

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        root_ids = list(Category.objects.filter(slug=value).values_list("id", flat=True))
        if not root_ids:
            return queryset.none()
        return queryset.filter(category_id__in=category_descendant_ids(category_ids=root_ids))

    def filter_brand(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The id, not a join on the slug: PostgreSQL then estimates the count from the
        # brand_id statistics (a join's estimate is an average over every brand).
        brand_id = Brand.objects.filter(slug=value).values_list("id", flat=True).first()
        if brand_id is None:
            return queryset.none()
        return queryset.filter(brand_id=brand_id)

    def filter_skin_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(json_list_has_q(field="skin_types", value=value))

    def filter_concern(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(json_list_has_q(field="concerns", value=value))

    def filter_in_stock(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(stock_quantity__gt=0) if value else queryset.filter(stock_quantity=0)


def _resolve_names(token: str) -> tuple[list, list]:
    # One OR across joined tables would keep the database from using any index: resolve
    # the small category and brand tables first, then filter products by their ids.
    return category_ids_matching(term=token), brand_ids_matching(term=token)
