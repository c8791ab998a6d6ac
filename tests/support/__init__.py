"""Test support shared by pytest fixtures and plain scripts (benchmarks): real wheels, real venvs.

From a script: ``sys.path.insert(0, "<repo>/tests")`` then ``from support.wheels import build_wheel``.
"""
