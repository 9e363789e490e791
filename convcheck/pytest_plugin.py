"""The convcheck pytest plugin (registered through the ``pytest11`` entry point).

In a user's test suite::

    import torch, convcheck

    def test_my_adam_is_adam():
        convcheck.check(MyAdam, claim="AD-3", reading="standard Adam").assert_reproduced()

    def test_my_sgd_meets_eq_28(convcheck_check):          # the fixture: scale from the command line
        convcheck_check(MySGD, claim="SGD-4").assert_reproduced()

``--convcheck-scale`` (``tiny`` for a quick smoke run in CI, ``quick`` by default, ``full`` on
a GPU) sets the scale of ``convcheck.check`` and of the ``convcheck_check`` fixture alike. Every
test that uses the fixture carries the ``convcheck`` marker (they run a study: seconds to
minutes), so ``pytest -m "not convcheck"`` skips them; mark a test that calls
``convcheck.check`` directly with ``@pytest.mark.convcheck`` to the same end. A failed
assertion prints every verdict's evidence.
"""

from __future__ import annotations

import functools

import pytest


def pytest_addoption(parser):
    parser.addoption("--convcheck-scale", default="quick", choices=("tiny", "quick", "full"),
                     help="scale of the studies the convcheck_check fixture runs (default: quick)")


def pytest_configure(config):
    config.addinivalue_line("markers", "convcheck: the test runs a convcheck study (seconds to minutes)")
    from convcheck.checking import default_scale, set_default_scale

    config._convcheck_scale_before = default_scale()  # restored at unconfigure (a pytest run inside another)
    set_default_scale(config.getoption("--convcheck-scale"))


def pytest_unconfigure(config):
    from convcheck.checking import set_default_scale

    set_default_scale(getattr(config, "_convcheck_scale_before", "quick"))


@pytest.hookimpl(tryfirst=True)  # before -m deselects: the marker must be there when it looks
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "convcheck_check" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.convcheck)


@pytest.fixture
def convcheck_check(request):
    """:func:`convcheck.check` at the scale given by ``--convcheck-scale``."""
    from convcheck.checking import check

    return functools.partial(check, scale=request.config.getoption("--convcheck-scale"))
