"""The dataset registry and ``generate`` — deterministic demo assets of Deyang.

``generate(name, rows, seed)`` returns a :class:`~marketplace.demo.table.Table` whose rows are
a pure function of (name, seed, Faker version): each dataset draws from its own
``random.Random`` seeded with ``"<name>:<seed>"`` and from Faker ``zh_CN`` pools seeded with
``seed_instance(seed)``; the global ``random`` and Faker states are never touched.  Rows are
produced lazily, so ``rows=None`` streams forever (``write_csv(..., max_bytes=…)`` stops it).
The first ``n`` rows of a larger request equal the rows of a request for ``n``.
"""

from __future__ import annotations

from itertools import islice

from . import enterprises, hotline, parking, utilities
from .table import DatasetSpec, Table

__all__ = ["DATASETS", "DEFAULT_SEED", "generate"]

DEFAULT_SEED = 20261122

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("enterprises", "企业登记", "德阳市市场主体登记信息",
                    enterprises.COLUMNS, enterprises.rows),
        DatasetSpec("utility_readings", "水电气月度抄表", "德阳市居民户水、电、气月度用量",
                    utilities.COLUMNS, utilities.rows),
        DatasetSpec("parking", "智慧停车", "德阳市停车场每15分钟泊位占用",
                    parking.COLUMNS, parking.rows),
        DatasetSpec("hotline", "12345热线工单", "德阳市12345政务服务便民热线工单",
                    hotline.COLUMNS, hotline.rows),
    )
}


def generate(name: str, rows: int | None, seed: int = DEFAULT_SEED) -> Table:
    """The first ``rows`` rows (``None``: endless) of dataset ``name`` for ``seed``."""
    try:
        spec = DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose from {sorted(DATASETS)}") from None
    if rows is not None and rows < 0:
        raise ValueError("rows must be >= 0")
    stream = spec.rows(seed)
    return Table(spec.column_names, stream if rows is None else islice(stream, rows))
