"""Where parameter values come from: the sources cited in the parameters' declarations."""

PAPER = "Øvretveit et al. 2002, Qual Saf Health Care"
"""The paper the model comes from: Quality collaboratives: lessons from research."""
IHI_BTS = "IHI Breakthrough Series white paper 2003"
ASSUMPTION = "assumption"
"""A modelling choice with no published figure, stated so that it can be varied and calibrated."""
KEPT = "assumption (the value the model was first built with; named so that it can be varied)"
"""A coefficient that stood in the mechanism code before it was declared: an assumption whose value
was chosen so that the calibrated model reproduced the paper's figures as a whole."""
CALIBRATED = "calibrated jointly by qicsim calibrate (analysis/targets.yaml: calibration)"
"""A shared input the calibration fits: runs take its value from the posterior; the declared value is used only
with ``--posterior none``."""
