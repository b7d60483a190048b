"""Real services for the tests: PostgreSQL and Redis servers, and accord itself under uvicorn."""
