"""``python -m app`` runs the sovprof command line."""

from app.cli.main import main

raise SystemExit(main())
