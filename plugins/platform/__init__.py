"""What every part uses: settings, errors, audit, health, metrics, shared Redis, admission."""
