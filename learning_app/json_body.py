"""Reading JSON request bodies without letting a hostile one crash a worker.

Python's parser raises ``RecursionError`` on JSON nested a few thousand deep
(a 200 KB body of ``[[[[…``), which Flask doesn't treat as bad JSON: the
request would end in a 500. Here it is bad JSON like any other, so
``get_json(silent=True)`` returns None and the view answers 400.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("JSON nested too deeply") from error
