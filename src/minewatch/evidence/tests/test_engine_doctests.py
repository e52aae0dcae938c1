"""The examples in the evidence engine's docstrings run and give what they show."""

import doctest
import importlib

import pytest

from minewatch.evidence.tests.test_engine_purity import ENGINE_MODULES


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_engine_docstring_examples_pass(name):
    module = importlib.import_module(f"minewatch.evidence.engine.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
