"""Credit hours: the append-only ledger, where each row comes from, and the rules."""
