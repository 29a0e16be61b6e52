"""``python -m clickstream`` runs the ``clickstream`` command."""

import sys

from clickstream.cli import main

sys.exit(main())
