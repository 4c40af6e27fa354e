"""`python -m contingency.cli`, as the console script."""

from . import main

main()
