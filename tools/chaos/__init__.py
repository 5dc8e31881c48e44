"""The fault suite (`contractsync chaos`): simulated vendor traffic against a whole stack of
separate processes while something breaks, then proof that nothing was lost or applied twice.

`scenarios` names the faults, `world` starts what each scenario runs against, `traffic` is
the vendors' side (retrying 503s after Retry-After), `checks` judges the outcome, `fuzz`
throws hostile requests at every route, and `cli` runs them all and prints one line each.
"""
