"""``python -m venvsense`` runs the command-line interface."""

from venvsense.cli import main

raise SystemExit(main())
