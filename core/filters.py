"""`?ordering=` for every list endpoint (the default filter backend in settings), and a
FilterSet base for lists read on every page view."""

import copy

from django.db.models import QuerySet
from django_filters import rest_framework as django_filters
from rest_framework import filters
from rest_framework.exceptions import ValidationError

ORDERING_PARAM = "ordering"


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-created_at`: comma-separated names, `-` for descending. Unlike
    DRF's filter, which quietly drops names it does not know (so a typo sorts by the
    default and the client never learns), an unknown name is a 400 on `ordering`.

    A view lists the names in `ordering_fields`: a list of names that are model fields,
    or a dict of public name -> model field (aliases such as `price` -> `current_price`).
    `ordering` is the default when none is asked for (None: the queryset's own order).
    `ordering_tiebreak` (default: the primary key) is appended to an asked-for ordering,
    so that rows with equal values keep one order and pages never overlap. A view without
    `ordering_fields` cannot be reordered: any `?ordering=` is refused."""

    ordering_param = ORDERING_PARAM

    @staticmethod
    def choices_for(view) -> dict[str, str]:
        fields = getattr(view, "ordering_fields", None) or {}
        if isinstance(fields, dict):
            return dict(fields)
        return {name: name for name in fields}

    def requested_terms(self, request) -> list[str]:
        raw = request.query_params.get(self.ordering_param, "")
        return [term.strip() for term in raw.split(",") if term.strip()]

    def get_ordering(self, request, queryset, view):
        terms = self.requested_terms(request)
        if not terms:
            return self.get_default_ordering(view)
        choices = self.choices_for(view)
        unknown = [term for term in terms if term.removeprefix("-") not in choices]
        if unknown:
            if choices:
                allowed = ", ".join(f"{name}, -{name}" for name in choices)
                message = f"Unknown ordering {unknown[0]!r}; use one of: {allowed}."
            else:
                message = "This list cannot be reordered."
            raise ValidationError({self.ordering_param: [message]})
        ordering = []
        for term in terms:
            descending = term.startswith("-")
            field = choices[term.removeprefix("-")]
            ordering.append(f"-{field}" if descending else field)
        tiebreak = getattr(view, "ordering_tiebreak", ("pk",))
        chosen = {field.removeprefix("-") for field in ordering}
        return [*ordering, *(key for key in tiebreak if key.removeprefix("-") not in chosen)]

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        ordering = self.get_ordering(request, queryset, view)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_schema_operation_parameters(self, view):
        choices = self.choices_for(view)
        if not choices:
            return []
        values = [value for name in choices for value in (name, f"-{name}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    "Sort order: one or more of the values, comma-separated; `-` for "
                    "descending. Any other value is a 400."
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": values}},
                "style": "form",
                "explode": False,
            }
        ]


class _FiltersCopiedShallowly(dict):
    """A FilterSet's base filters that each instance copies one level deep.

    django-filter deep-copies every filter for every instance (hundreds of objects for a
    dozen filters: their labels, choices and extra arguments), although an instance only
    sets its own `model` and `parent` on them. A shallow copy of each filter keeps those
    per instance; a method filter's FilterMethod is made anew so that it finds the
    instance's methods, not the class's."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            copied = copy.copy(filter_)
            if filter_.method is not None:
                # The setter replaces the FilterMethod the copy shares with the original.
                copied.method = filter_.method
            copies[name] = copied
        return copies


class LeanFilterSet(django_filters.FilterSet):
    """A FilterSet that does not rebuild its form class on every request, copies its
    filters one level deep rather than entirely (_FiltersCopiedShallowly), and skips the
    form when the query string names none of its filters (the unfiltered first page, the
    most frequent request of a catalog). django-filter builds a new form class, with new
    fields, for each instance; that is a fixed cost of every list request.

    Only for filtersets whose fields do not depend on the request (no querysets or choices
    computed per caller): the form class is built once per class, and an instance must not
    change the arguments its filters were declared with."""

    @classmethod
    def get_filters(cls):
        return _FiltersCopiedShallowly(super().get_filters())

    @classmethod
    def _shared_form_class(cls):
        form_class = cls.__dict__.get("_lean_form_class")
        if form_class is None:
            # Fields of copies, so the class's own filters keep no form field that every
            # instance's deepcopy of them would then copy too.
            fields = {
                name: copy.deepcopy(filter_).field for name, filter_ in cls.base_filters.items()
            }
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._lean_form_class = form_class
        return form_class

    def get_form_class(self):
        return self._shared_form_class()

    def asks_nothing(self) -> bool:
        """Whether the query string names none of the filters: no form to validate."""
        return (
            self.is_bound
            and self.form_prefix is None
            and not any(name in self.data for name in self.base_filters)
        )

    def is_valid(self):
        return self.asks_nothing() or super().is_valid()

    @property
    def qs(self):
        if self.asks_nothing():
            if not hasattr(self, "_qs"):
                self._qs = self.queryset.all()
            return self._qs
        return super().qs
