"""The demo dealership: a deterministic generator of realistic data and set-based loaders."""
