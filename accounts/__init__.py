"""People and permissions: the roles, what each may open and do, sign-in lockout and audit.

The ground of DealerCRM, with ``core``: it imports no app, and every app may import it.
"""
