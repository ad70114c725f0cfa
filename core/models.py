import uuid

from django.conf import settings
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
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
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


# Upper bounds (ms) of the response-time histogram buckets; one more bucket holds
# everything slower. Roughly 25 % apart, so a percentile read from them is within a few
# percent of the truth. Changing them needs a migration (one column per bucket).
RESPONSE_TIME_BOUNDS_MS = (
    1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150,
    200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000, 3000, 5000, 10000, 30000,
)  # fmt: skip
RESPONSE_TIME_BUCKETS = tuple(f"b{index:02d}" for index in range(len(RESPONSE_TIME_BOUNDS_MS) + 1))


class ResponseTimeMinute(models.Model):
    """The response-time histogram of one API route group over one minute, summed over
    every process: `requests` answers, `bNN` of them within bucket NN's bound. One column
    per bucket so that several processes add to the same row in one upsert and a window's
    percentiles come from one SUM per column."""

    minute = models.DateTimeField(help_text="Start of the minute (UTC).")
    route_group = models.CharField(max_length=64)
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "route_group"], name="core_response_time_minute_once"
            ),
        ]

    def __str__(self):
        return f"{self.route_group} {self.minute:%Y-%m-%d %H:%M}"


for _bucket in RESPONSE_TIME_BUCKETS:
    ResponseTimeMinute.add_to_class(_bucket, models.PositiveIntegerField(default=0))
del _bucket
