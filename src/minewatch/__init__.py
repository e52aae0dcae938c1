"""MineWatch: security operations and risk intelligence for mines and their security contractors."""

__version__ = "0.1.0"
