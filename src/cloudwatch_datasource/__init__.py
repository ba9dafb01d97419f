"""Grafana backend datasource plugin for Amazon CloudWatch, written in Python.

grafana-server starts this package's executable as a go-plugin child process and talks to it over
Grafana's plugin protocol v2 (gRPC). See docs/design.md for the path of a query through the modules.
"""

PLUGIN_ID = "pyaws-cloudwatch-datasource"
__version__ = "0.1.0"
