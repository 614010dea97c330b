"""``python -m convcalc`` runs the command line."""

from .fastpath import main

raise SystemExit(main())
