# cffi's build hook still needs setup.py; all metadata lives in pyproject.toml.
# cffi compiles against the stable ABI where it can (CPython, not a debug or free-threaded
# build): the wheel is then tagged cp310-abi3, one wheel for CPython 3.10 and every later
# version (requires-python in pyproject.toml).
import sys
import sysconfig

from setuptools import setup

ABI3 = (
    sys.implementation.name == "cpython"
    and not hasattr(sys, "gettotalrefcount")
    and not sysconfig.get_config_var("Py_GIL_DISABLED")
)

setup(
    cffi_modules=["build_ffi.py:ffi"],
    options={"bdist_wheel": {"py_limited_api": "cp310"}} if ABI3 else {},
)
