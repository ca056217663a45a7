"""For `scrapyd-deploy`, which builds the project's egg with `setup.py bdist_egg`.

Everything is in pyproject.toml; pip and other tools do not need this file.
"""

from setuptools import setup

setup()
