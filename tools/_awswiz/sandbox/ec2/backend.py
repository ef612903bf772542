"""moto's EC2 backend of a region, in the account of the request being answered (this runs inside the sandbox
server; handlers.account() says which account)."""

from __future__ import annotations

from .. import handlers as H

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"  # the namespace of EC2's query-protocol answers


def backend(region: str, of: str | None = None):
    """The region's EC2 backend of the request's account (or of the account `of`)."""
    from moto.ec2.models import ec2_backends

    return H.backend(ec2_backends, region, of)
