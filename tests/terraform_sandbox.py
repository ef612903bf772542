"""Real Terraform against the sandbox, for tests/test_export.py and bench/bench_export.py: the provider from the
local filesystem mirror (never the registry), and the override only the sandbox needs, written beside an export
(never in it): moto serves buckets path-style on one host:port, and its keys are dummy ones."""

from __future__ import annotations

import shutil
from pathlib import Path

MIRROR = Path("/opt/tf-plugins")
TERRAFORM = shutil.which("terraform")
CLI_CONFIG = f"""provider_installation {{
  filesystem_mirror {{
    path    = "{MIRROR}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
"""
OVERRIDE = """provider "aws" {
  access_key                  = "testing"
  secret_key                  = "testing"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
"""


def available() -> bool:
    """terraform on PATH and hashicorp/aws in the mirror."""
    return bool(TERRAFORM) and (MIRROR / "registry.terraform.io/hashicorp/aws").is_dir()
