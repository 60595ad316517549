"""The quiz engine (DESIGN.md, contract 4): question types, banks, tests.

``types`` is the registry of question types (plain classes, no Flask);
``loader`` reads and validates ``quizzes/``; ``store`` writes banks, tests
and content-addressed question versions; ``attempts`` starts, autosaves,
submits and expires attempts on the server's clock; ``api`` is their JSON API.
"""
