"""License contracts: an ODRL 2.2-inspired policy model and its evaluator (issue 5 §4).

Pure library: no Flask, no database, never imports ``marketplace``.
"""

__all__: list[str] = []
