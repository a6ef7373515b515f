# SPDX-License-Identifier: MIT
"""cpstorm_lib: the pieces behind runner/cpstorm, one job per module.

cli     - subcommands and options; every mistake is a UserError
errors  - UserError: one-line message, exit 2
deps    - find missing Debian packages, install them as root
build   - configure and build with cmake, find the case binaries
proc    - run one program in its own process group under a timeout
verdict - turn a case's verdict line and exit status into a cell
storm   - run the storm and turn its JSON record into a cell
report  - the verdict table, the details, the JSON Lines file
sinks   - where finished cells go: --json, --junit, --ktap
junit   - JUnit XML for Jenkins/GitLab
ktap    - KTAP version 1 on stdout for KernelCI/LAVA
kmsg    - kernel health: /dev/kmsg markers around each cell
soak    - repeated cases and storms over a seed range, fsync'ed records
sampler - /proc samples of the running program and the system
results - result files read back for `report`
page    - the report as Markdown and as one self-contained HTML page
svg     - inline SVG charts (grid, bars, lines)
compare - run --compare: verdicts that changed against a reference
"""
