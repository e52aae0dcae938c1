"""The evidence engine is pure: importing all of it loads no Django module."""

import subprocess
import sys

ENGINE_MODULES = ["store", "sniff", "metadata", "custody", "dossier", "dossier_pdf"]


def test_engine_modules_import_without_django():
    imports = "; ".join(f"import minewatch.evidence.engine.{name}" for name in ENGINE_MODULES)
    check = "import sys; bad = [m for m in sys.modules if m.split('.')[0] == 'django']; print(bad)"
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", f"{imports}; {check}"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
