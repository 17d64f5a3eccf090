"""A range type over text for the effective-dated exclusion constraints (core.models.no_overlap).

Equality on a text column inside a GiST exclusion constraint would need the btree_gist extension,
which the embedded PostgreSQL of `make run` (the pgserver wheel) does not ship; a range type is
core PostgreSQL. The "C" collation makes [a, a] && [b, b] exactly a = b, byte for byte.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0005_calendaryear")]
    operations = [
        migrations.RunSQL(
            'CREATE TYPE xianjie_textrange AS RANGE (subtype = text, collation = "C");',
            "DROP TYPE xianjie_textrange;",
        )
    ]
