"""Inbound batches and ledger reconciliation (台账比对, issue 10, domain.md §8)."""
