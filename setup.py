# cffi's build hook still needs setup.py; all metadata lives in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffi"])
