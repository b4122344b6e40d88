"""A stored full-text document for each recommendation (BENCHMARKS.md, #8).

Ranking search results by relevance needs each match's tsvector. Computed from
the text at query time that cost about 25 µs a match: 330 ms for a search that
matches 12,000 of 100,000 recommendations, half the admin's whole page. Stored
in a generated column, PostgreSQL keeps it in step with ``text`` and ``theme``
on every write, and ranking only reads it.

PostgreSQL only, and outside the model state like 0004's indexes: SQLite has no
tsvector, and a model field would load the document with every recommendation.
``recommendations.filters.StoredDocument`` refers to the column.
"""

from django.db import migrations

TABLE = "recommendations_recommendation"
# The same document the search matched before: SearchVector("text", "theme", config="english").
DOCUMENT = "to_tsvector('english'::regconfig, COALESCE(text, '') || ' ' || COALESCE(theme, ''))"
OLD_INDEX = f"rec_search_idx ON {TABLE} USING gin ({DOCUMENT})"


def add_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN search_document tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED"
    )
    schema_editor.execute(f"CREATE INDEX rec_document_idx ON {TABLE} USING gin (search_document)")
    # The expression index it replaces: nothing queries that expression any more.
    schema_editor.execute("DROP INDEX IF EXISTS rec_search_idx")


def drop_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {OLD_INDEX}")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_document")


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0004_benchmark_indexes")]
    operations = [migrations.RunPython(add_document, drop_document)]
