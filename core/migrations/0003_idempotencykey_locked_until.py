from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_response_time_minute"),
    ]

    operations = [
        # Keys already in progress get no lease: the first retry takes them over.
        migrations.AddField(
            model_name="idempotencykey",
            name="locked_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
