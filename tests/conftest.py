"""Shared fixtures: one BLAS thread (the project's default), the discovered studies, and logging
handlers kept off streams a finished test closed."""

import logging
import sys
from pathlib import Path

import pytest
import torch

pytest_plugins = ["pytester"]  # tests/test_check.py runs a user's test file through the plugin

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def studies():
    from convcheck.study import discover

    return discover()


@pytest.fixture(autouse=True)
def _no_handler_on_a_closed_stream():
    """A library that makes a logging handler on ``sys.stderr`` while ``capsys`` holds it (cvxpy and
    some optimizer libraries do, on import) would write to that closed capture in every later test
    of the worker: such handlers go with the test that made them."""
    yield
    for logger in [logging.getLogger(), *(x for x in logging.Logger.manager.loggerDict.values()
                                           if isinstance(x, logging.Logger))]:
        for handler in list(logger.handlers):
            stream = getattr(handler, "stream", None)
            if stream is not None and getattr(stream, "closed", False):
                logger.removeHandler(handler)


sys.path.insert(0, str(Path(__file__).parent))  # test helpers (reference_optim) import by name
# each suite's helper modules (studies/<suite>/_<suite>.py) import by name, as its studies do
for _suite in sorted((Path(__file__).resolve().parents[1] / "studies").glob("*/suite.toml")):
    if str(_suite.parent) not in sys.path:
        sys.path.append(str(_suite.parent))
