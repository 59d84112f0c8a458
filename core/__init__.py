"""Domain-free helpers every app shares: calendar months, formatting for people, enqueueing
Celery work by name, and the project's liveness checks. Imports no app."""
