"""Running the service for years: the nightly purge, backups, metrics and log lines."""
