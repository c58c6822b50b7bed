"""The product's rules, shared by the GraphQL edge and the command line; no GraphQL here."""
