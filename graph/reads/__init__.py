"""The table view without per-field execution: compiled selections rendered from primed loaders."""
