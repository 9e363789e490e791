"""Shared fixtures: one BLAS thread (the project's default) and the discovered studies."""

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def studies():
    from convcheck.study import discover

    return discover()
