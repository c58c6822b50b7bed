"""Queries and mutations: parse input, call the domain, map its errors."""
