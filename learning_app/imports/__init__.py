"""Organization and member imports (CSV and XLSX), all or nothing."""
