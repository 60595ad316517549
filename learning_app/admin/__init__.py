"""Admin pages, each limited to the admin's organization subtree."""
