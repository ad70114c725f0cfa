import uuid

from django.db import models


class BaseModel(models.Model):
    """UUID primary key and timestamps, shared by every domain model."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyKey(BaseModel):
    """The first answer to a request sent with an `Idempotency-Key` header, kept so a
    retry gets that same answer instead of doing the work twice (SPEC section 5)."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    # Which operation the key was used for (method and route), so one key cannot replay
    # the answer of another endpoint.
    scope = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    # The lease of the request working on an in-progress key: after it, the key counts as
    # abandoned (its worker died) and a retry takes it over. Null: no lease, abandoned.
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="core_idempotency_key_once"
            ),
        ]

    def __str__(self):
        return f"{self.scope} {self.key}"
