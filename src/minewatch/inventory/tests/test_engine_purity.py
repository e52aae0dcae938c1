"""The inventory engine imports no Django (checked in a fresh interpreter)."""

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import minewatch.inventory.engine as package
for module in pkgutil.iter_modules(package.__path__):
    importlib.import_module(f"minewatch.inventory.engine.{module.name}")
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "django")
print(",".join(loaded))
"""


def test_engine_modules_import_without_django():
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == ""
