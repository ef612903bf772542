"""Answer shapes several services share: a page of a list (MaxResults, NextToken bound to the query), and an
AWS-shaped refusal for every operation of a service that neither moto nor the sandbox answers."""

from __future__ import annotations

import hashlib
import json

from moto.core.exceptions import JsonRESTError

from .handlers import ApiError

PRICING_ERRORS = ("InvalidParameterException", "InvalidNextTokenException")  # a bad MaxResults, a bad token


def page(params: dict, items: list, top: int, key: str, errors: tuple[str, str] = PRICING_ERRORS) -> dict:
    """One page of items: MaxResults (1..top, default 100) of them from NextToken, an opaque token bound to the
    query; a MaxResults out of range, a token of another query or out of range are the service's errors."""
    n = params.get("MaxResults", 100)
    if not isinstance(n, int) or not 1 <= n <= top:
        raise ApiError(errors[0], f"MaxResults must be between 1 and {top} (got {n!r}).")
    query = hashlib.sha1(json.dumps({k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")},
                                    sort_keys=True).encode()).hexdigest()[:12]
    start = 0
    if token := params.get("NextToken"):
        q, _, at = str(token).partition(":")
        start = int(at) if at.isdigit() else -1
        if q != query or not 0 < start <= len(items):
            raise ApiError(errors[1], "The pagination token is invalid. Try again without a pagination token.")
    out = {key: items[start:start + n]}
    if start + n < len(items):
        out["NextToken"] = f"{query}:{start + n}"
    return out


class NotEmulated(JsonRESTError):
    code = 501

    def __init__(self, message: str):
        super().__init__("NotImplemented", message)


def answer_the_rest(response_class, service: str) -> None:
    """Every operation of the service's botocore model that neither moto nor the sandbox answers gets an AWS-shaped
    error (HTTP 501 NotImplemented naming the operation) instead of moto's HTML page of HTTP 500."""
    import botocore.session
    from moto.core.utils import camelcase_to_underscores

    model = botocore.session.get_session().get_service_model(service)
    for op in model.operation_names:
        name = camelcase_to_underscores(op)
        if not hasattr(response_class, name):
            def refuse(self, op=op):
                raise NotEmulated(f"The AwsWiz sandbox does not emulate {service}:{op}")

            refuse.__name__ = name
            setattr(response_class, name, refuse)
