"""The floor's policy pack: the pulumi-policy server with one resource and one stack policy
that do nothing, so each request is decoded exactly once by the SDK (bench/floor.py)."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)


def _resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
    return None


def _stack(args: StackValidationArgs, report: ReportViolation) -> None:
    return None


PolicyPack(
    name="bench-floor",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name="floor-resource", description="Does nothing.",
                                 validate=_resource),
        StackValidationPolicy(name="floor-stack", description="Does nothing.", validate=_stack),
    ],
)
