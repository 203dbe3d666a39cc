"""Defaults of the analysis commands, in a module light to import: ``qicsim report --help``, ``validate --help`` and
``calibrate --help`` show them without loading the model (the modules that use them import them from here)."""

EFFECTS_SEED = 20021101
"""Base seed of the built-in effects sweep (seed i = ``qicsim.derive_seed(EFFECTS_SEED, i)``)."""
EFFECTS_SEEDS = 12
"""Paired seeds per claim of the effects sweep."""
EFFECTS_TEAMS = 30
"""Teams in each run of the effects sweep."""

VALIDATION_REPS, VALIDATION_SEED = 40, 1
"""Replicates per target group, and the base seed, of ``qicsim validate``."""

CALIBRATION_POPULATION = 400
CALIBRATION_GENERATIONS = 8
CALIBRATION_MINUTES = 110.0
CALIBRATION_SEED = 1001
"""Particles per population, populations, wall-time budget and base seed of ``qicsim calibrate``."""
