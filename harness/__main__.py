"""``python -m harness``: the command line lives in the ``cli`` package, above the library."""

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
