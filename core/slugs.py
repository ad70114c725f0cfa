import secrets

from django.db import models
from django.utils.text import slugify


def unique_slug(*, model: type[models.Model], text: str, exclude_id=None) -> str:
    """A slug made from `text`, free in `model`'s table; a short random suffix when taken."""
    max_length = model._meta.get_field("slug").max_length
    base = slugify(text)[: max_length - 7].strip("-") or "item"
    candidate = base
    queryset = model._default_manager.all()
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    while queryset.filter(slug=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate
