"""The one adaptor that owns boto3: session, clients (retries, timeouts, pool), account, regions.

Tools never build clients themselves: they ask Aws.client(service, region), which caches one client
per (service, region) for the whole run, so that a fan-out of hundreds of calls reuses a few dozen
clients and their connection pools.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import threading

from _awswiz.shell import deadline, settings
from _awswiz.shell.errors import BadInput

DEFAULT_REGION = "us-east-1"


_CLASS_CACHE: dict[tuple[str, str], type] = {}
_MODEL_CACHE: dict[tuple[str, str | None], object] = {}


def _reuse_client_classes() -> None:
    """Build each service's client class once per process, not once per client.

    botocore builds a fresh class (one method per operation: ~700 for EC2) for every client; a scan
    makes ~200 clients (services x regions), and that alone cost seconds of CPU. The class depends only
    on the service model, never on the region or credentials, so reusing it is safe; measured 27 ms ->
    7 ms per client.
    """
    from botocore import client as bc

    if getattr(bc.ClientCreator._create_client_class, "_awswiz", False):
        return
    original = bc.ClientCreator._create_client_class

    def cached(self, service_name, service_model):
        key = (service_name, service_model.api_version)
        if key not in _CLASS_CACHE:
            _CLASS_CACHE[key] = original(self, service_name, service_model)
        return _CLASS_CACHE[key]

    cached._awswiz = True
    bc.ClientCreator._create_client_class = cached

    # Same for the service model: each client otherwise rebuilds it and walks every operation again
    # (endpoint discovery, shapes). It is read-only but for lazy caches that always compute the same
    # values. Measured in bench/: client CPU 4.06 -> 3.43 s for an all-region scan.
    original_model = bc.ClientCreator._load_service_model

    def cached_model(self, service_name, api_version=None):
        key = (service_name, api_version)
        if key not in _MODEL_CACHE:
            _MODEL_CACHE[key] = original_model(self, service_name, api_version)
        return _MODEL_CACHE[key]

    bc.ClientCreator._load_service_model = cached_model
    _cheaper_client_setup()


def _cheaper_client_setup() -> None:
    """Two more per-client costs that repeat the same work for every client (bench/profile_scan.py):

    - the event aliaser's name cache starts empty in every client's copy of the session's emitter, so
      each client re-derives the same aliases for every event it registers or emits; the alias of a
      name depends only on the name (the alias table is a constant), so the copies share one cache;
    - the proxy settings for an endpoint URL are read from the environment twice per client (every
      variable scanned); the environment does not change during a run, so they are read once per URL.
    With the scoped config built once (Aws.__init__), measured 3.4 -> 2.2 ms CPU per client.
    """
    from botocore import endpoint as be
    from botocore import hooks

    original_copy = hooks.EventAliaser.__copy__

    def shared_cache_copy(self):
        new = original_copy(self)
        new._alias_name_cache = self._alias_name_cache
        return new

    hooks.EventAliaser.__copy__ = shared_cache_copy
    proxies = functools.lru_cache(maxsize=512)(be.get_environ_proxies)
    be.get_environ_proxies = lambda url: dict(proxies(url))


def parse_timestamp(value):
    """botocore's timestamp parser, with ISO 8601 (what the query and XML protocols send: LaunchTime,
    CreateTime, StartTime of every item) read by datetime.fromisoformat instead of dateutil's generic
    parser. In a scan of 10,000 resources dateutil took a third of the client's CPU (bench/profile_scan.py).
    The value is the same aware datetime; anything else (epoch numbers, RFC 822) goes to botocore."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            parsed = _dt.datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
        except ValueError:
            pass
    from botocore.utils import parse_timestamp as slow

    return slow(value)


def paginate(client, call: str, path: str, **kwargs) -> list:
    """Every item of a list/describe call, across pages, at a JMESPath (a plain key such as "Vpcs"
    will do; "Reservations[].Instances[]" reaches deeper)."""
    if client.can_paginate(call):
        return [i for i in client.get_paginator(call).paginate(**kwargs).search(path) if i is not None]
    import jmespath

    return jmespath.search(path, getattr(client, call)(**kwargs)) or []


def _session(boto3, profile: str | None):
    """A boto3 session; an unknown --profile is bad input naming the profiles that exist."""
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.Session(profile_name=profile)
    except ProfileNotFound:
        raise unknown_profile(profile) from None


def unknown_profile(profile: str | None, sandbox: bool = False) -> BadInput:
    """The bad input of a profile name botocore does not find (ProfileNotFound: it is no [profile NAME] section
    of the config file nor [NAME] of the credentials file), naming the profiles there are."""
    import botocore.session

    names = sorted(botocore.session.Session().available_profiles)
    asked = f"--profile {profile!r}" if profile else f"AWS_PROFILE={os.environ.get('AWS_PROFILE')!r}"
    hint = f"e.g. --profile {names[0]}" if names else "aws configure --profile NAME"
    if sandbox:  # the sandbox uses its own keys: a profile there only says which account the user means
        hint = f"drop --profile (the sandbox uses its own keys){f', or {hint}' if names else ''}"
    return BadInput(f"{asked} is not a profile of this machine; the profiles are: {', '.join(names) or 'none'} "
                    "(from AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE or ~/.aws)", hint)


def check_profile(profile: str, sandbox: bool = False) -> None:
    """An unknown --profile is bad input before anything starts, with --sandbox too (which then ignores it)."""
    import botocore.session

    if profile not in botocore.session.Session().available_profiles:
        raise unknown_profile(profile, sandbox)


def import_ahead() -> None:
    """Import boto3 on a thread of its own, while the run waits for something else (a sandbox starting: its
    second core is otherwise idle); Aws() then finds it imported."""
    def load() -> None:
        try:
            import boto3  # noqa: F401
            import botocore.session  # noqa: F401
        except Exception:  # noqa: BLE001 - Aws() imports it again and says what is wrong
            pass

    threading.Thread(target=load, name="awswiz-import-ahead", daemon=True).start()


def worker_count() -> int:
    return settings.get("AWSWIZ_WORKERS")


MANY_ACCOUNTS_WORKERS = 128  # threads of one process's pool when a read spans several accounts


def pool_size(workers: int, accounts: int) -> int:
    """Threads of a read's pool: `workers` for one account or when AWSWIZ_WORKERS is set; for several accounts
    up to MANY_ACCOUNTS_WORKERS. Their calls wait on the network, not the CPU, and AWS's request rates are per
    account and region (EC2 Developer Guide, "Request throttling for the Amazon EC2 API": "Amazon EC2 throttles
    EC2 API requests for each AWS account on a per-Region basis"), so more accounts in flight ask no account for
    more than one account's run does. 50 accounts x 20 regions at 100 ms a call
    (bench_accounts --replay): 12.3 s on 32 threads a process, 7.5 s on 128."""
    if accounts <= 1 or os.environ.get("AWSWIZ_WORKERS", "").strip():
        return workers
    return max(workers, min(MANY_ACCOUNTS_WORKERS, workers * accounts))


class Aws:
    def __init__(self, profile: str | None = None, workers: int | None = None, session=None):
        import boto3
        from botocore.config import Config

        _reuse_client_classes()
        if settings.get("AWSWIZ_LEAN"):  # before any session: its handler table is built copy-on-write
            from _awswiz.aws import shortcuts

            shortcuts.install()
        self.session = session or _session(boto3, profile)
        # Every client reads ~50 settings through the profile's scoped config, rebuilt on each read; the
        # profile does not change during a run, so it is built once (bench/profile_scan.py).
        core = getattr(self.session, "_session", None)
        if core is not None and hasattr(core, "get_scoped_config"):
            core.get_scoped_config = functools.lru_cache(maxsize=1)(core.get_scoped_config)
            from _awswiz.aws import lean

            # parsers read timestamps faster, and parse only what a reader names where it asks (lean.py)
            if settings.get("AWSWIZ_LEAN"):
                lean.install(core, timestamp_parser=parse_timestamp)
            else:
                core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
        self.workers = workers or worker_count()
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        self.endpoint = endpoint
        self.config = Config(
            # Standard retries: exponential backoff with jitter, 10 attempts, so a call survives sustained
            # throttling. Not "adaptive": its client-side rate limiter slows a throttled client to a
            # fraction of a call per second, which hurts a fan-out of many clients making a few calls
            # each (bench/, 20% throttled: adaptive 17-24 s, standard 11-14 s, every resource returned).
            # Every attempt is bounded (connect, read) and so is the run (deadline.py): an endpoint that
            # accepts and never answers costs at most the deadline, not attempts x read timeout.
            retries={"mode": "standard", "max_attempts": settings.get("AWSWIZ_MAX_ATTEMPTS")},
            connect_timeout=settings.get("AWSWIZ_CONNECT_TIMEOUT"),
            read_timeout=settings.get("AWSWIZ_READ_TIMEOUT"),
            max_pool_connections=self.workers,
            # Emulators and proxies on a plain host:port cannot serve virtual-hosted bucket names.
            s3={"addressing_style": "path"} if endpoint else {},
        )
        self._clients: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self._account: str | None = None
        self._identity: dict | None = None
        self._once: dict = {}
        self._enabled: tuple[list[str], list[str]] | None = None

    @property
    def home_region(self) -> str:
        return self.session.region_name or DEFAULT_REGION

    def client(self, service: str, region: str | None = None):
        """A cached client; creation is serialised (botocore sessions are not thread-safe)."""
        region = region or self.home_region
        key = (service, region)
        c = self._clients.get(key)
        if c is None:
            with self._lock:
                c = self._clients.get(key)
                if c is None:
                    c = self.session.client(service, region_name=region, config=self.config)
                    # Load the paginator model here, one client at a time: botocore's loader caches what it
                    # finds only once a lookup ends, so threads asking at once each list its ~450 data
                    # directories (measured: 34 listings, a fifth of a 10,000-resource scan's CPU).
                    c.can_paginate(next(iter(c.meta.method_to_api_mapping)))
                    c.meta.events.register("before-send", deadline.check, unique_id="awswiz-deadline")
                    if self.audit is not None:  # audit hook: see enable_audit()
                        self.audit.install(c)
                    self._clients[key] = c
        return c

    def forget_clients(self) -> None:
        """In a forked worker (shard.py): make clients of its own; the cached ones share the parent's
        connections. The audit hook stays: new clients get it."""
        self._clients = {}
        self._lock = threading.Lock()

    # --- audit hook (tools/_awswiz/audit.py): every mutating call of every client is recorded ---
    audit = None  # an AuditLog once enable_audit() was called

    def enable_audit(self, log) -> None:
        """Hook log into every client made so far and every client made from now on."""
        with self._lock:
            self.audit = log
            for c in self._clients.values():
                log.install(c)

    # --- end of audit hook ---

    def partition(self) -> str:
        """The partition of the home region (aws, aws-cn, aws-us-gov), from botocore's data (no call)."""
        if hasattr(self.session, "get_partition_for_region"):
            return self.session.get_partition_for_region(self.home_region)
        return "aws"

    def assumed(self, account: str, role_arn: str, external_id: str | None, session_name: str) -> Aws:
        """An Aws of another account, entered with sts:AssumeRole from this one: called once now (a refusal raises:
        that account's error), and again only when the credentials near their expiry (botocore's
        RefreshableCredentials refreshes 15 minutes before, at the latest 10). The new botocore session shares this
        one's data loader, so botocore's JSON (models, endpoints) is read once per run, not once per account."""
        import boto3
        import botocore.session
        from botocore.credentials import RefreshableCredentials

        sts = self.client("sts")
        kwargs = {"RoleArn": role_arn, "RoleSessionName": session_name[:64]}
        if external_id:
            kwargs["ExternalId"] = external_id

        def fetch() -> dict:
            c = sts.assume_role(**kwargs)["Credentials"]
            return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "token": c["SessionToken"],
                    "expiry_time": c["Expiration"].isoformat()}

        creds = RefreshableCredentials.create_from_metadata(fetch(), fetch, "sts-assume-role")
        core = botocore.session.Session()
        base = getattr(self.session, "_session", None)
        if base is not None:
            core.register_component("data_loader", base.get_component("data_loader"))
        core._credentials = creds
        other = Aws(workers=self.workers, session=boto3.Session(botocore_session=core, region_name=self.home_region))
        other._account = account
        if self.audit is not None:  # its mutating calls are audited as this account's (guard/audit.py)
            other.audit = self.audit.for_account(account)
        return other

    def account_id(self) -> str:
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    def identity(self) -> dict:
        """The caller (GetCallerIdentity: Account, Arn, UserId), asked once per run; account_id() then reads it."""
        if self._identity is None:
            self._identity = self.client("sts").get_caller_identity()
            self._account = self._identity["Account"]
        return self._identity

    def once(self, key, ask):
        """ask() once per run under key (a per-run cache): a second asker gets the first one's answer or exception,
        waiting while it is on its way, so a question can be started early (launch asks for the DLAMIs while the
        type's spec is on its way) and never asked twice."""
        from concurrent.futures import Future

        with self._lock:
            got = self._once.get(key)
            mine = got is None
            if mine:
                got = self._once[key] = Future()
        if mine:
            try:
                got.set_result(ask())
            except BaseException as exc:  # noqa: BLE001 - every asker gets it, this one too (result() raises it)
                got.set_exception(exc)
        return got.result()

    def account_id_or_none(self) -> str | None:
        return self._account

    def known_regions(self) -> list[str]:
        """Every region of the session's partition, from botocore's own data (no network call)."""
        partition = self.session.get_partition_for_region(self.home_region) \
            if hasattr(self.session, "get_partition_for_region") else "aws"
        return sorted(self.session.get_available_regions("ec2", partition_name=partition))

    def enabled_regions(self) -> tuple[list[str], list[str]]:
        """(enabled, skipped): regions not opted in, or outside the partition, are skipped."""
        if self._enabled is None:
            known = set(self.known_regions())
            resp = self.client("ec2").describe_regions(AllRegions=True)
            enabled, skipped = [], []
            for r in resp["Regions"]:
                name = r["RegionName"]
                if name not in known:
                    continue
                if r.get("OptInStatus") == "not-opted-in":
                    skipped.append(name)
                else:
                    enabled.append(name)
            self._enabled = (sorted(enabled), sorted(skipped))
        return self._enabled

    def validate_regions(self, names: list[str]) -> list[str]:
        known = self.known_regions()
        bad = [n for n in names if n not in known]
        if bad:
            import difflib

            guesses = {g for b in bad for g in difflib.get_close_matches(b, known, n=1)}
            hint = f"did you mean {', '.join(sorted(guesses))}?" if guesses else "or use --region all"
            raise BadInput(f"unknown region {', '.join(bad)}; valid regions: {', '.join(known)}", hint)
        return names

    def resolve_regions(self, spec: str) -> tuple[list[str], list[str]]:
        """--region REGION | a,b | all into (regions, skipped). Names are checked before any call."""
        spec = (spec or "").strip()
        if spec == "all":
            return self.enabled_regions()
        names = [s.strip() for s in spec.split(",") if s.strip()]
        if not names:
            raise BadInput("--region needs REGION, a,b or all", "e.g. --region us-east-1")
        return sorted(self.validate_regions(list(dict.fromkeys(names)))), []
