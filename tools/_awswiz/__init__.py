"""AwsWiz shared core. Tools import from here through their own folder on sys.path.

Keep imports here cheap: boto3 and rich are imported lazily by the modules that need them,
so that --help and bad-flag errors come back fast.
"""
