"""Indexes the 100,000-recommendation benchmark showed the table needs (BENCHMARKS.md, #8).

PostgreSQL only, and outside the model state: the full-text ones are GIN indexes
on expressions SQLite cannot build, and each must match, character for
character, the SQL Django emits for the query it serves (recommendations/filters.py
and selectors.DEFAULT_ORDER), or the planner ignores it.
"""

from django.db import migrations

INDEXES = {
    # Full-text search of recommendations: SearchVector("text", "theme", config="english").
    "rec_search_idx": (
        "recommendations_recommendation USING gin "
        "(to_tsvector('english'::regconfig, COALESCE(text, '') || ' ' || COALESCE(theme, '')))"
    ),
    # Full-text search of progress summaries: SearchVector("summary", config="english").
    "update_search_idx": (
        "recommendations_progressupdate USING gin (to_tsvector('english'::regconfig, COALESCE(summary, '')))"
    ),
    # The table's default order (-report__published, report__title, number): walk reports
    # newest first and each report's recommendations by (report_id, number), instead
    # of sorting every recommendation joined to its report.
    "report_published_title_idx": "reports_report (published DESC, title)",
    # The theme filter's choices: one index probe per distinct theme.
    "rec_theme_idx": "recommendations_recommendation (theme)",
    # Sorting by status (status, -status_date, pk), either way, without a sort; its id
    # also makes counting a status filter an index-only scan.
    "rec_status_order_idx": "recommendations_recommendation (status, status_date DESC, id)",
    # Owner filters and officers' scopes: the recommendations of some owners, read from
    # the index alone (the unique constraint's index starts with recommendation_id).
    "rec_owner_owner_rec_idx": "recommendations_recommendation_owners (owner_id, recommendation_id)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0003_rich_text_and_import_permissions"),
        ("reports", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
