"""The public SSM parameters of the Deep Learning AMIs, under /aws/service/deeplearning/ami/ (moto refuses names
under /aws): GetParametersByPath, GetParameter, GetParameters. lab/gpu.py fills the state; other names go to moto."""

from __future__ import annotations

import datetime as _dt

from ..handlers import PASS, ApiError, handles, seeder

PREFIX = "/aws/service/deeplearning/"
S = "AmazonSSM."


@seeder
def _seed(state: dict) -> None:
    state["ssm_public"] = {}  # {region: {name: ami id}}


def _param(name: str, value: str, region: str) -> dict:
    return {"Name": name, "Type": "String", "Value": value, "Version": 7, "DataType": "aws:ec2:image",
            "LastModifiedDate": _dt.datetime(2026, 11, 10, tzinfo=_dt.UTC).timestamp(),
            "ARN": f"arn:aws:ssm:{region}::parameter{name}"}


@handles(S + "GetParametersByPath")
def by_path(params, region, state):
    path = params.get("Path", "")
    if not path.startswith(PREFIX.rstrip("/")):
        return PASS
    base = path.rstrip("/") + "/"
    names = sorted(n for n in state["ssm_public"].get(region, {}) if n.startswith(base)
                   and (params.get("Recursive") or "/" not in n[len(base):]))
    size = min(int(params.get("MaxResults") or 10), 10)
    start = int(params.get("NextToken") or 0)
    page = names[start:start + size]
    out = {"Parameters": [_param(n, state["ssm_public"][region][n], region) for n in page]}
    if start + size < len(names):
        out["NextToken"] = str(start + size)
    return out


@handles(S + "GetParameter")
def get_parameter(params, region, state):
    name = params.get("Name", "")
    if not name.startswith(PREFIX):
        return PASS
    value = state["ssm_public"].get(region, {}).get(name)
    if value is None:
        raise ApiError("ParameterNotFound", "")
    return {"Parameter": _param(name, value, region)}


@handles(S + "GetParameters")
def get_parameters(params, region, state):
    names = params.get("Names", [])
    if not any(n.startswith(PREFIX) for n in names):
        return PASS
    known = state["ssm_public"].get(region, {})
    return {"Parameters": [_param(n, known[n], region) for n in names if n in known],
            "InvalidParameters": [n for n in names if n not in known]}

