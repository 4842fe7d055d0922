"""Fixtures of the runtime plugin tests (the shared ones are in tests/conftest.py); the
helpers are in plugin_support.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import plugin_support  # noqa: E402,F401
