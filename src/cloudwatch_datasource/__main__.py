"""`python -m cloudwatch_datasource`: what the gpx_ executable runs."""

from .cli import main

raise SystemExit(main())
