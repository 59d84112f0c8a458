"""Follow-up tasks, campaigns, contact plans and repurchase intent (R5)."""
