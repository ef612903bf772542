"""moto's EC2 backend of a region, for the account the sandbox serves (this runs inside the sandbox server)."""

from __future__ import annotations

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"  # the namespace of EC2's query-protocol answers


def backend(region: str):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    return ec2_backends[DEFAULT_ACCOUNT_ID][region]
