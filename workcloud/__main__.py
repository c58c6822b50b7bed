"""`python -m workcloud`: the `workcloud` command."""

import sys

from workcloud.cli import main

sys.exit(main())
