"""Loaded by every Python subprocess a test starts (tests put this directory on PYTHONPATH)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import netguard

netguard.install()
