"""`dse explore`: studies declared in a config, run on Optuna into a run folder of tables, plots and a report.

This is the top of the library: it ties search problems to the cost models below it and to the outputs (plots, HLS
projects) of the chosen designs."""
