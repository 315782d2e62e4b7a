"""``python -m redshift_intercept run ...``: the same as the ``redshift-intercept`` command."""

import sys

from ._cli import main

sys.exit(main())
