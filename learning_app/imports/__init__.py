"""Organization and member imports (CSV and XLSX), all or nothing.

readers → spec/values (what a cell may hold) → orgs / members (check the
whole file) → members_write / roll (bulk upsert) → service (one transaction).
"""

from learning_app.imports.problems import ImportResult
from learning_app.imports.readers import Table, read_path, read_table
from learning_app.imports.scope import Scope
from learning_app.imports.service import import_file, import_table

__all__ = ["ImportResult", "Scope", "Table", "import_file", "import_table", "read_path",
           "read_table"]
