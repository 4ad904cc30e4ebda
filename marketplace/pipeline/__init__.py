"""Pure building blocks of the processing pipeline (issue 4): PII detection (:mod:`.pii`),
check-character algorithms (:mod:`.checksums`), GB/T 37964-2019 de-identification techniques
(:mod:`.desensitise`) and k-anonymity planning (:mod:`.kanon`).  No Flask, no database."""
