"""The decision: task, privacy, group, parameters, sensitive data, strict-stays-local."""
