"""The step types of the pipeline spec (issue 4 §1-2), one frozen dataclass each.

:mod:`.registry` maps ``"type"`` to a class; :mod:`.base` is the interface (``parse`` /
``check`` / ``compile``); :mod:`.types` the schema carried from step to step; :mod:`.sqlfns`
and :mod:`.redact` the de-identification functions as DuckDB SQL.  The JSON of each step
(optional keys in brackets, defaults after ``=``)::

    select          columns: [c, …]                        keep and order columns
    rename          columns: {old: new}
    cast            columns: {c: type}, [on_error: "fail"|"null" = "fail"]
    filter          where: expr                            see marketplace.pipeline.expressions
    dedupe          [columns: [c, …]]                      default: all columns
    normalise_text  columns: [c, …], ops: ["halfwidth", "trim", "iso_date"]
    fill_nulls      values: {c: literal}
    drop_nulls      [columns: [c, …]]                      default: any column
    join            input: alias, on: {left: right}, [how: "inner"|"left"], [columns: {r: out}]
    aggregate       [group_by: [c, …]], aggregations: [{fn, [column], as}, …]
                    fn: count | count_distinct | sum | avg | min | max
    sample          seed: int, fraction: 0 < f <= 1  |  n: int
    mask            columns: [c, …], [keep_first = 0], [keep_last = 0], [char = "*"]
    keyed_hash      columns: [c, …]                        HMAC-SHA256 hex under the secret
    tokenise        columns: [c, …]                        "tok_" + 24 base32 characters
    generalise      column: c, method, [width], [as: new name]
                    method: date_to_month | date_to_year | age_band (width) |
                            number_bucket (width) | address_to_district
    suppress        columns: [c, …], [mode: "null"|"drop" = "null"]
    redact_pii      columns: [c, …], [kinds: [resident_id, uscc, bank_card, mobile, landline,
                    email, plate, name]]
    k_anonymity     [ladders: {qi: [{method, [width]}, …]}], [max_suppression: 0-0.5 = 0]
                    on element.quasi_identifiers and element.k; a ladder may end in
                    {"method": "suppress"} (the default ladder is just that)
"""
