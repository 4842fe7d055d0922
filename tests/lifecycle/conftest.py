"""Fixtures of the model lifecycle tests (the shared ones, start_server among them, are in
tests/conftest.py).

Every test builds its own repository under its tmp dir and starts its own adlik_serving
through `start_server`, so that what one test does to its repository cannot be seen by
another.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # lifecycle_support


@pytest.fixture
def repo(tmp_path):
    """An empty repository, and a staging folder on the same file system (for atomic
    renames into the repository)."""
    path = tmp_path / "repo"
    path.mkdir()
    (tmp_path / "staging").mkdir()
    return path
