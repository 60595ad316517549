"""Domain rules as plain functions: callable and testable without Flask."""
