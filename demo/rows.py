"""What every demo row shares: an id and a random generator derived from its demo number,
so every run plans the same rows, and the bulk writes that create only the missing ones."""

import random
import uuid

DEMO_NAMESPACE = uuid.UUID("6f1c1c52-3a57-4f49-9a1e-5b0d2c6f7a10")


def demo_id(*parts) -> uuid.UUID:
    """The id of a demo row, the same on every run."""
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(str(part) for part in parts))


def demo_random(*parts) -> random.Random:
    """A repeatable generator for one demo row."""
    # Not for security: the same parts give the same numbers on every run.
    return random.Random("/".join(str(part) for part in parts))  # noqa: S311


def create_with_timestamps(model, rows: list, *, ignore_conflicts: bool = False) -> None:
    """bulk_create, then put back the created_at/updated_at the rows were given: auto_now
    and auto_now_add overwrite them on insert."""
    if not rows:
        return
    stamps = [(row.created_at, row.updated_at) for row in rows]
    model.objects.bulk_create(rows, ignore_conflicts=ignore_conflicts)
    for row, (created_at, updated_at) in zip(rows, stamps, strict=True):
        row.created_at, row.updated_at = created_at, updated_at
    model.objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)


def create_missing(model, rows: list, *, ignore_conflicts: bool = False) -> set:
    """Create the rows whose (demo) id does not exist yet; returns the ids created."""
    existing = set(
        model.objects.filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True)
    )
    missing = [row for row in rows if row.pk not in existing]
    create_with_timestamps(model, missing, ignore_conflicts=ignore_conflicts)
    return set(
        model.objects.filter(pk__in=[row.pk for row in missing]).values_list("pk", flat=True)
    )
