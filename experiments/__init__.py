"""The Hydra apps: configuration in, run directories out (docs/run-directory.md)."""
