"""The transitions app's permission names, granted to roles at import."""
