"""Demo data for `make run`: a county tree, members and some history."""
