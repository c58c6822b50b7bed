"""Benchmarks: data at scale, the table view against its floor and a peer, search, fan-out."""
