"""The rerun conditions, as the harness uses them. The registry itself is part of the published
schema (:mod:`miners.schema.conditions`): adding a condition is one entry there."""

from miners.schema.conditions import CONDITIONS, DEFAULT, ENVIRONMENTS, Condition, get, parse

__all__ = ["CONDITIONS", "DEFAULT", "ENVIRONMENTS", "Condition", "get", "parse"]
