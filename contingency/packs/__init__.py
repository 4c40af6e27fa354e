"""The grab pack: the plan as one self-contained HTML file, an A4 PDF and paper downtime forms, and the
print register (DSPT standard 7) that records every pack built for printing and where it is kept."""
