"""The frozen executable's entry point (PyInstaller needs a script, not `-m`): the same as
`python -m cloudwatch_datasource`."""

import os
import sys

if getattr(sys, "frozen", False):
    # PyInstaller's bootloader points LD_LIBRARY_PATH at the bundle's lib/ (the loader read it already). Child
    # processes (botocore's credential_process helpers) must get the host's own libraries (libssl, libz), not
    # the build machine's: restore what the host gave us.
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)

from cloudwatch_datasource.cli import main  # noqa: E402 - after the environment is restored

raise SystemExit(main())
