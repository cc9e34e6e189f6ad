import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def security_from_use_ssl(apps, schema_editor):
    # use_ssl=False meant "STARTTLS when offered": the safe reading is STARTTLS required.
    Mailbox = apps.get_model("mailroom", "Mailbox")
    Mailbox.objects.filter(use_ssl=False).update(security="starttls")


class Migration(migrations.Migration):

    dependencies = [
        ("mailroom", "0002_search_and_suggestion"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="mailbox",
            name="security",
            field=models.CharField(
                choices=[("ssl", "IMAPS : chiffrée dès la connexion (port 993 en général)"),
                         ("starttls", "STARTTLS obligatoire (port 143 en général)"),
                         ("plain", "Sans chiffrement (serveur du réseau interne uniquement)")],
                default="ssl", max_length=10, verbose_name="sécurité de la connexion"),
        ),
        migrations.RunPython(security_from_use_ssl, migrations.RunPython.noop),
        migrations.RemoveField(model_name="mailbox", name="use_ssl"),
        migrations.AddField(
            model_name="incomingmail",
            name="registered_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="enregistré par"),
        ),
        migrations.AddField(
            model_name="mailattachment",
            name="ocr_report",
            field=models.JSONField(blank=True, default=dict, verbose_name="compte rendu de la lecture"),
        ),
        migrations.AlterField(
            model_name="incomingmail",
            name="ocr_status",
            field=models.CharField(choices=[("not_needed", "Sans objet"), ("pending", "En attente"),
                                            ("done", "Texte extrait"), ("failed", "Texte illisible")],
                                   default="not_needed", max_length=12, verbose_name="reconnaissance de texte"),
        ),
    ]
