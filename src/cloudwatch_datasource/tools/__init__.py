"""Command-line tools for people: the demo, `query` and `doctor`. Not used by the plugin at run time."""
