"""Storage: SQLAlchemy models, engine and sessions, tenant scoping, migrations."""
