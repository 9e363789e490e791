"""Shared fixtures: one BLAS thread (the project's default) and the discovered studies."""

import pytest
import torch

pytest_plugins = ["pytester"]  # tests/test_check.py runs a user's test file through the plugin

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def studies():
    from convcheck.study import discover

    return discover()

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # test helpers (reference_optim) import by name
# each suite's helper modules (studies/<suite>/_<suite>.py) import by name, as its studies do
for _suite in sorted((Path(__file__).resolve().parents[1] / "studies").glob("*/suite.toml")):
    if str(_suite.parent) not in sys.path:
        sys.path.append(str(_suite.parent))
