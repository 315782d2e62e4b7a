"""The Redshift service model, loaded once, for work done outside a call
(validating seeded records). Calls use the model of the calling client."""

from __future__ import annotations

import functools
import os

import botocore.loaders
from botocore.model import ServiceModel, Shape


@functools.cache
def service_model() -> ServiceModel:
    """The model a botocore session would load (``AWS_DATA_PATH`` honoured),
    without making one: the command line seeds with it and does not import
    botocore's client machinery for that."""
    loader = botocore.loaders.create_loader(os.environ.get("AWS_DATA_PATH"))
    return ServiceModel(loader.load_service_model("redshift", "service-2"), service_name="redshift")


@functools.cache
def shape(name: str) -> Shape:
    """One shape object per name: botocore resolves a shape's members once
    per object, and the service makes records (automated snapshots) often."""
    return service_model().shape_for(name)
