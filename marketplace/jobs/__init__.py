"""Background jobs: a jobs table, an atomic claim, worker threads, crash recovery."""
