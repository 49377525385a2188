"""The only package that speaks SQL: models, migrations, idempotent writes and analyst queries."""
