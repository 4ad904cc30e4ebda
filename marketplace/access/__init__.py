"""Buyer access (issue 7): the metered records API, per-element query policies and the
sandbox wired into the service. Files: models, policy (query policies), gate (license use,
quota, metering), ratelimit (token buckets), records (+ recordsql), queries (sandbox),
runner (the app's worker pool), schemas, views."""
