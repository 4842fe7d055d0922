"""Fixtures of the security tests: hostile requests, configs and files, faults (the shared
ones, start_server among them, are in tests/conftest.py).

Each test starts its own adlik_serving through `start_server`, so that a test that brings
a server down cannot take another test's with it; every server must still be alive at the
end of its test and exit 0 on SIGTERM. Set ADLIK_SERVING to test another binary (the
ASan/UBSan build, for example).
"""

import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "runtimes"))
sys.path.insert(0, HERE)


@pytest.fixture
def repo(tmp_path, example_repo):
    """A private copy of the example repository."""
    path = tmp_path / "repo"
    shutil.copytree(example_repo, path)
    return path
