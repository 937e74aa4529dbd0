"""Data files shipped with checker (templates of `checker audit init`)."""
