"""The convcheck pytest plugin (registered through the ``pytest11`` entry point).

In a user's test suite::

    import torch, convcheck

    def test_my_adam_is_adam():
        convcheck.check(MyAdam, claim="AD-3", reading="standard Adam").assert_reproduced()

    def test_my_sgd_meets_eq_28(convcheck_check):          # the fixture: scale from the command line
        convcheck_check(MySGD, claim="SGD-4").assert_reproduced()

``convcheck_check`` is :func:`convcheck.check` with ``scale`` defaulting to the value of
``--convcheck-scale`` (``tiny`` for a quick smoke run in CI, ``quick`` by default, ``full``
on a GPU). The ``convcheck`` marker labels such tests (they run a study: seconds to minutes),
so ``pytest -m "not convcheck"`` skips them. A failed assertion prints every verdict's evidence.
"""

from __future__ import annotations

import functools

import pytest


def pytest_addoption(parser):
    parser.addoption("--convcheck-scale", default="quick", choices=("tiny", "quick", "full"),
                     help="scale of the studies the convcheck_check fixture runs (default: quick)")


def pytest_configure(config):
    config.addinivalue_line("markers", "convcheck: the test runs a convcheck study (seconds to minutes)")


@pytest.fixture
def convcheck_check(request):
    """:func:`convcheck.check` at the scale given by ``--convcheck-scale``."""
    from convcheck.checking import check

    return functools.partial(check, scale=request.config.getoption("--convcheck-scale"))
