"""Test support shipped with the package: the pytest plugin and world builders."""
