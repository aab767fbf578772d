from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_missing_reports_candidates_decisions"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchcandidate",
            name="reasons",
            field=models.JSONField(blank=True, default=list, verbose_name="比对依据"),
        ),
    ]
