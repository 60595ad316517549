"""MkDocs plugin that turns ``content/`` into the 党建促扶贫 portal site.

The plugin (``site_builder.plugin``) is a thin layer of event handlers; the
work happens in plain functions in the sibling modules so tests can call them
without running MkDocs.
"""
