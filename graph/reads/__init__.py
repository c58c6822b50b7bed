"""Read plans: queries answered from a few statements and rendered from rows (README, "Layout")."""
