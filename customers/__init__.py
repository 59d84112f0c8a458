"""Customer records, profile history (R1.2), character (R1.3), contact preferences (R1.4) and value-layer events (R3.5)."""
