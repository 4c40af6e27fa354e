# An incident's uid names it across installs (a laptop copy's export); existing incidents get one each.

import uuid

import django.db.models.deletion
from django.db import migrations, models


def give_each_incident_a_uid(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    for incident in Incident.objects.filter(uid__isnull=True).only("pk"):
        Incident.objects.filter(pk=incident.pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0005_incident_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_incident_a_uid, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="incident",
            name="uid",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text="Names the incident across installs (export).",
                unique=True,
            ),
        ),
        migrations.CreateModel(
            name="ImportedRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("origin", models.CharField(max_length=200, unique=True)),
                ("section", models.CharField(max_length=32)),
                ("object_id", models.PositiveBigIntegerField()),
                ("source_digest", models.CharField(max_length=64)),
                ("local_digest", models.CharField(max_length=64)),
                ("imported_at", models.DateTimeField()),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="imported_rows",
                        to="incidents.incident",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["section", "object_id"], name="incidents_imported_object")],
            },
        ),
    ]
