"""Does the pandas implementation (c) of ``pipeline_bench.py`` compute what elx (a) computes?

    .venv/bin/python bench/pipeline_check.py [--rows 200000] [--dir DIR] [--texts 20000]

1. Runs (a) and (c) on the bench CSV (generated if missing) and compares every output column
   row by row, the quality profile (rows, per-column nulls/blanks/distinct/score, every check's
   n/failures/score/examples, dimension and element scores) and the PII scan (per text column:
   rows, nulls, rows with findings, kinds, counts; the leak total).
2. Runs both on a PII-dense corpus (demo hotline bodies and random mixes of valid and invalid
   identifiers of every kind with noise): elx's SQL ``redact_pii`` vs (c)'s ``redact``, and
   ``pii.scan_text`` vs (c)'s ``find_pii`` (same kind, start, end).
3. Checks (c)'s check-character functions against elx's on valid and corrupted codes.

Prints the agreement of each; exits 1 on any difference. Not part of the test suite (slow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pandas_pii import USCC, card_ok, find_pii, resident_id_ok, uscc_ok
from bench.pipeline_bench import generate
from bench.pipeline_pandas import pandas_outputs, redact
from bench.pipeline_phases import SECRET, elx_outputs, leaks

PROFILE_COLUMN_KEYS = ("rows", "nulls", "blanks", "distinct", "score")
CHECK_KEYS = ("dimension", "n", "failures", "score", "examples")
SCAN_KEYS = ("rows", "nulls", "rows_with_hits", "kinds", "counts")


def _report(label: str, total: int, bad: list[Any]) -> bool:
    print(f"{label}: {total - len(bad):,} / {total:,} agree")
    for example in bad[:5]:
        print(f"    differs: {example!r}")
    return not bad


def compare_outputs(a_path: Path, c_path: Path) -> bool:
    with duckdb.connect() as con:
        a = con.execute(f"FROM read_parquet('{a_path}') ORDER BY id").df()
        c = con.execute(f"FROM read_parquet('{c_path}') ORDER BY id").df()
    ok = list(a.columns) == list(c.columns) and len(a) == len(c)
    print(f"output: {len(a):,} vs {len(c):,} rows, columns {'equal' if ok else 'DIFFER'}")
    for col in a.columns:
        same = (a[col] == c[col]) | (a[col].isna() & c[col].isna())
        ok &= _report(f"  column {col}", len(a), list(zip(a.loc[~same, col], c.loc[~same, col],
                                                          strict=True)))
    return ok


def compare_profile(a: dict[str, Any], c: dict[str, Any]) -> bool:
    bad = [("rows", a["rows"], c["rows"])] if a["rows"] != c["rows"] else []
    bad += [("score", a["score"], c["score"])] if a["score"] != c["score"] else []
    a_dims = {d: s for d, s in a["dimensions"].items() if s is not None}
    bad += [("dimensions", a_dims, c["dimensions"])] if a_dims != c["dimensions"] else []
    c_cols = {col["name"]: col for col in c["columns"]}
    for col in a["columns"]:
        keys = [k for k in PROFILE_COLUMN_KEYS if k != "distinct" or col["distinct_exact"]]
        bad += [(col["name"], k, col[k], c_cols[col["name"]][k]) for k in keys
                if col[k] != c_cols[col["name"]][k]]
    c_checks = {check["id"]: check for check in c["checks"]}
    if set(c_checks) != {check["id"] for check in a["checks"]}:
        bad.append(("check ids", [x["id"] for x in a["checks"]], list(c_checks)))
    for check in a["checks"]:
        other = c_checks.get(check["id"], {})
        bad += [(check["id"], k, check[k], other.get(k)) for k in CHECK_KEYS
                if check[k] != other.get(k)]
    measures = 3 + len(a["columns"]) * len(PROFILE_COLUMN_KEYS) + len(a["checks"]) * len(
        CHECK_KEYS)
    print(f"profile: score {a['score']} vs {c['score']}, dimensions {a_dims}")
    return _report("  profile measures", measures, bad)


def compare_scan(a: dict[str, Any], c: dict[str, Any]) -> bool:
    bad = [(col, k, a[col][k], c.get(col, {}).get(k)) for col in a for k in SCAN_KEYS
           if a[col][k] != c.get(col, {}).get(k)]
    bad += [("columns", sorted(a), sorted(c))] if sorted(a) != sorted(c) else []
    print(f"scan: leaks {leaks(a)} vs {leaks(c)} over text columns {sorted(a)}")
    return _report("  scan measures", len(a) * len(SCAN_KEYS), bad)


def _luhn_card(r: random.Random, prefix: str, length: int) -> str:
    from marketplace.pipeline.checksums import luhn_check_digit

    body = prefix + "".join(r.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def _fragment(r: random.Random) -> str:
    from marketplace.demo import make_resident_id, make_uscc
    from marketplace.pipeline.names import SURNAMES

    digits = "0123456789"
    choice = r.randrange(16)
    if choice == 0:
        return make_resident_id(r, r.choice(("510603", "110105", "990101")),
                                dt.date(1900, 1, 1) + dt.timedelta(days=r.randrange(40000)))
    if choice == 1:
        return make_uscc(r.choice(("91", "92", "52", "Y1")), "510603",
                         "".join(r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8)))
    if choice == 2:
        card = _luhn_card(r, r.choice(("62", "4", "51", "9558", "37", "3530")),
                          r.choice((13, 15, 16, 19)))
        return " ".join(card[i:i + 4] for i in range(0, len(card), 4)) if r.random() < .4 else card
    if choice == 3:
        m = "1" + r.choice("3456789") + "".join(r.choice(digits) for _ in range(9))
        return r.choice(("", "+86", "+86 ", "0086", "86-")) + r.choice(
            (m, f"{m[:3]} {m[3:7]} {m[7:]}", f"{m[:3]}-{m[3:7]}-{m[7:]}"))
    if choice == 4:
        return r.choice(("0838-", "(028)", "028", "010-", "0838 ")) + str(r.randrange(2, 10)) + \
            "".join(r.choice(digits) for _ in range(r.choice((5, 6, 7, 8))))
    if choice == 5:
        return r.choice(("zhang.san", "li_si+x", "w9", "a")) + "@" + r.choice(
            ("example.com", "mail.dy.gov.cn", "qq.com", "x.c1", "y.z"))
    if choice == 6:
        serial = r.choice(("D", "F", "")) + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                                    for _ in range(r.choice((4, 5, 6))))
        return r.choice("川京粤浙") + r.choice("ABCDFIOZ") + r.choice(("", "·", " ")) + serial + \
            r.choice(("", "", "学", "警"))
    if choice == 7:
        surname = r.choice([*sorted(SURNAMES), "欧阳", "司马"])
        return r.choice(("我叫", "联系人：", "来电人", "市民", "", "请", "本人 ")) + surname + \
            "".join(r.choice("伟芳明的说电小先") for _ in range(r.randint(0, 3))) + \
            r.choice(("", "先生", "女士", "，", "反映", "称"))
    if choice == 8:
        return "".join(r.choice(digits) for _ in range(r.randint(4, 25)))
    if choice == 9:
        return "".join(r.choice("0123456789abcdef") for _ in range(r.choice((8, 20, 64))))
    if choice == 10:
        return r.choice(("订单号", "流水号：", "单号 ", "编号"))
    return r.choice(("，", "。", " ", "反映", "德阳市", "a", "x", "-", "(", "+", "电话", "的"))


def corpus(n: int, seed: int = 4) -> list[str]:
    from marketplace.demo import generate as demo

    r = random.Random(seed)
    texts = [row["body"] for row in demo("hotline", n // 2).dicts()]
    return texts + ["".join(_fragment(r) for _ in range(r.randint(1, 8))) for _ in range(n // 2)]


def compare_texts(texts: list[str]) -> bool:
    from marketplace.pipeline.pii import scan_text
    from marketplace.pipeline.steps.redact import redact_select

    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (i INTEGER, body VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
        sql = redact_select("t", ("i", "body"), ("body",)).sql("duckdb")
        a_red = [b for _, b in con.execute(f"{sql} ORDER BY i").fetchall()]
    c_red = redact(pd.Series(texts, dtype="str")).tolist()
    ok = _report("redaction, SQL redact_pii vs pandas", len(texts),
                 [(t, x, y) for t, x, y in zip(texts, a_red, c_red, strict=True) if x != y])
    changed = sum(x != t for x, t in zip(a_red, texts, strict=True))
    print(f"  ({changed:,} texts changed by redaction)")
    a_find = [[(f.kind, f.start, f.end) for f in scan_text(t)] for t in texts]
    c_find = [find_pii(t) for t in texts]
    ok &= _report("detection, pii.scan_text vs find_pii", len(texts),
                  [(t, x, y) for t, x, y in zip(texts, a_find, c_find, strict=True) if x != y])
    kinds: dict[str, int] = {}
    for found in a_find:
        for kind, _, _ in found:
            kinds[kind] = kinds.get(kind, 0) + 1
    print(f"  (findings by kind: {kinds})")
    return ok


def compare_checksums(n: int = 20000, seed: int = 7) -> bool:
    from marketplace.pipeline.checksums import (
        is_valid_bank_card,
        is_valid_resident_id,
        is_valid_uscc_strict,
    )

    r = random.Random(seed)
    shapes = ("[0-9]{17}[0-9Xx]", USCC, "[0-9]{13,19}")
    pairs = ((resident_id_ok, is_valid_resident_id, 0), (uscc_ok, is_valid_uscc_strict, 1),
             (card_ok, is_valid_bank_card, 2))
    ok = True
    for mine, theirs, kind in pairs:
        codes = []
        for _ in range(n):
            code = ""
            while not code:
                code = _fragment(r).replace(" ", "")
            if r.random() < 0.5:  # corrupt one character
                i = r.randrange(len(code))
                code = code[:i] + r.choice("0123456789X") + code[i + 1:]
            codes.append(code)
        codes = [c for c in codes if re.fullmatch(shapes[kind], c)]
        bad = [c for c in codes if mine(c) != theirs(c)]
        valid = sum(map(theirs, codes))
        ok &= _report(f"check characters, {mine.__name__} ({valid:,} valid)", len(codes), bad)
    return ok


def edge_csv(source: Path, path: Path, seed: int = 5) -> None:
    """2,000 bench rows with nulls, blank and one-character texts, negative ages and duplicate
    rows planted, so the profile and the masks meet what the bench data lacks."""
    r = random.Random(seed)
    df = pd.read_csv(source, nrows=2000, dtype="str", keep_default_na=False)
    for _ in range(300):
        i, col = r.randrange(len(df)), r.choice(list(df.columns[1:]))
        value = r.choice(("", " ", "\u3000", "张", "1", "a@b.cn 13812345678", "-7"))
        if col in ("age", "income") and value not in ("", "-7"):
            value = "-7"
        if col == "signup_day" and value:
            value = "2024-02-29"
        df.loc[i, col] = value
    pd.concat([df, df.sample(40, random_state=seed)]).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pbc"))
    parser.add_argument("--texts", type=int, default=20_000)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    csv = args.dir / f"people-{args.rows}.csv"
    if not csv.exists():
        generate(csv, args.rows)
    edge = args.dir / "people-edge.csv"
    edge_csv(csv, edge)
    ok = True
    for path in (csv, edge):
        print(f"== {path.name}")
        a_path, quality, a_scan, _ = elx_outputs(path, args.dir)
        c_path = args.dir / "pandas-check.parquet"
        profile, c_scan, _ = pandas_outputs(path, c_path, SECRET)
        ok &= compare_outputs(a_path, c_path)
        ok &= compare_profile(quality, profile)
        ok &= compare_scan(a_scan, c_scan)
    print("== text corpus")
    ok &= compare_texts(corpus(args.texts))
    ok &= compare_checksums()
    print("AGREE" if ok else "DIFFERENCES FOUND")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
