"""The Redshift service model, loaded once, for work done outside a call
(validating seeded records). Calls use the model of the calling client."""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import ServiceModel, Shape


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.Session().get_service_model("redshift")


@functools.cache
def shape(name: str) -> Shape:
    """One shape object per name: botocore resolves a shape's members once
    per object, and the service makes records (automated snapshots) often."""
    return service_model().shape_for(name)
