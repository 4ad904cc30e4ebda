"""Revenue (issue 6 §3): a double-entry, append-only journal in integer minor units.

``fees`` splits a gross amount (pure); ``postings`` turns sales, refunds and payouts into
balanced lines (pure); ``journal`` stores them inside the caller's transaction; ``schedules``
finds the fee schedule in force; ``balances`` reads the books. ``payouts`` records bank
transfers to merchants; ``invoicing`` / ``invoice_payments`` / ``billing`` invoice metered plans
per period from recorded usage and collect them; ``spool`` fetches the provider's charges
before the reconciliation opens its transaction.
"""
