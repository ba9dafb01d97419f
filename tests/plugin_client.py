"""Test-side name for the go-plugin host the package ships (protocol/host.py)."""

from cloudwatch_datasource.protocol.host import (  # noqa: F401
    DEFAULT_COMMAND,
    PluginProcess,
    data_query,
    datasource_settings,
    go_plugin_env,
    plugin_context,
    start_plugin,
)
