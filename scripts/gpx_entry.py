"""The frozen executable's entry point (PyInstaller needs a script, not `-m`): the same as
`python -m cloudwatch_datasource`."""

from cloudwatch_datasource.cli import main

raise SystemExit(main())
