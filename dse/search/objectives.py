"""The mapping objectives, defined once: each is a value from latency (s) and energy (J), elementwise on numbers,
arrays and Series. Kept free of heavy imports so the command line can list them at start-up."""

#: Objective name -> its value from latency (s) and energy (J); elementwise on arrays and Series.
OBJECTIVES = {
    "latency": lambda seconds, energy_j: seconds,
    "energy": lambda seconds, energy_j: energy_j,
    "edp": lambda seconds, energy_j: seconds * energy_j,
}
