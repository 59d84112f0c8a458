"""Contact log (R3.1), satisfaction surveys (R3.2) and complaints with their SLA (R3.3)."""
