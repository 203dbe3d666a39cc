"""``python -m qicsim``: the same command as the installed ``qicsim`` script."""

import sys

from qicsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
