# pre-commit installs a `language: python` hook repository with `pip install .`: this
# empty package makes the repository installable. The tool itself comes from the hooks'
# additional_dependencies.
from setuptools import setup

setup(name="pre_commit_placeholder_package", version="0.0.0")
