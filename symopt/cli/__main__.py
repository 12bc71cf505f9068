"""``python -m symopt.cli``: the same as the ``symopt`` command."""

import sys

from symopt.cli import main

sys.exit(main())
