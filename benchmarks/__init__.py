"""`make bench`: the warehouse's speed and memory at district, province and national scale.

Not part of the tests (they stay fast); see BENCHMARKS.md for the figures and how they were
made. Each module does one thing: `scales` generates and caches the inputs, `measure` runs a
command and samples the memory of its whole process tree, `resubmit` makes one school's
corrected report, `baselines` reads the same files the naive way and the fastest way,
`report` writes the table.
"""
