"""A small uv project and its uv.lock as uv writes it (the app depends on alpha>=1 and beta; the lock pins
alpha 2.0 and beta 1.0), shared by the lock tests of the engine and of the language server."""

PYPROJECT = """[project]
name = "app"
version = "0.1"
requires-python = ">=3.9"
dependencies = ["alpha>=1", "beta"]
"""
LOCK = """version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "alpha"
version = "2.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "app"
version = "0.1"
source = { virtual = "." }
dependencies = [
    { name = "alpha" },
    { name = "beta" },
]

[package.metadata]
requires-dist = [
    { name = "alpha", specifier = ">=1" },
    { name = "beta" },
]

[[package]]
name = "beta"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
"""
