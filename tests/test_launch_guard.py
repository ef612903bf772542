"""launch's and connect's guard holes (issue 19): what a user or anyone who can tag controls never becomes a
shell word or a path unquoted; the user data runs each --init file verbatim; downloads never land in .state/."""

from __future__ import annotations

import subprocess

import pytest
from _awswiz.compute import userdata


def run_user_data(text: str, workdir) -> subprocess.CompletedProcess:
    """Run the generated script as cloud-init would (bash), with its log redirection pointed into workdir."""
    text = text.replace("exec >>/var/log/awswiz-init.log 2>&1", f"exec >>{workdir}/init.log 2>&1")
    script = workdir / "user-data.sh"
    script.write_text(text)
    return subprocess.run(["bash", str(script)], cwd=workdir, capture_output=True, text=True, timeout=30)


def test_init_file_with_the_heredoc_end_marker_runs_verbatim(tmp_path):
    # an init file that contains the old fixed end marker would have ended the heredoc early and run the
    # rest in the outer shell; the file must run as written, in its own bash, and nothing else
    box = tmp_path / "box"
    box.mkdir()
    evil = tmp_path / "evil.sh"
    evil.write_text("echo inside >>ran.txt\nAWSWIZ_INIT_0_EOF\necho escaped >>after.txt\n"
                    "cat <<'EOF'\nnested\nEOF\nprintf '%s\\n' \"$0\" >>ran.txt\n")
    text = userdata.build([evil], None)
    res = run_user_data(text, box)
    assert res.returncode == 0, res.stderr
    # each line of the file ran, in order, inside the init's bash (the marker line is just an unknown command
    # there), and the outer script ran no line of it
    assert (box / "ran.txt").read_text().splitlines() == ["inside", "bash"]
    assert (box / "after.txt").read_text() == "escaped\n"  # ran by the init's bash, as the file says
    assert "nested" in (box / "init.log").read_text()


def test_init_file_name_is_never_a_shell_word(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    named = tmp_path / "x$(touch pwned).sh"
    named.write_text("echo ok >>ran.txt\n")
    text = userdata.build([named], None)
    res = run_user_data(text, box)
    assert res.returncode == 0, res.stderr
    assert not (box / "pwned").exists()  # the name was printed, not run
    assert (box / "ran.txt").read_text() == "ok\n"
    assert "x$(touch pwned).sh" in (box / "init.log").read_text()


# --- tags never become paths or shell words ---------------------------------------------------------

def test_key_names_from_tags_never_leave_the_keys_folder(tmp_path, monkeypatch):
    import shlex

    import pytest
    from _awswiz.compute import keys, ssh
    from _awswiz.shell.errors import BadInput

    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(tmp_path / "st"))
    (tmp_path / "st").mkdir(mode=0o700)
    (tmp_path / "escaped.pem").write_text("not yours")
    # EC2 takes any 255 ASCII characters as a key name (EC2 API Reference, CreateKeyPair: KeyName), so a tag or
    # a KeyName may hold '../': AwsWiz reads only the names it makes, and a path never leaves .state/keys
    for bad in ("../../escaped", "../escaped", "/etc/passwd", "k\n", ".hidden", "a/b"):
        with pytest.raises(BadInput):
            keys.key_file(bad)
        assert keys.saved(bad) is None
    keys.generate("good")
    assert keys.saved("good") == tmp_path / "st" / "keys" / "good.pem"
    # the printed ssh line: every word quoted, a user name from a tag cannot add a command
    line = ssh.command_line("192.0.2.1", 22, "ubuntu; touch /tmp/pwned", "good")
    assert shlex.split(line)[-1] == "ubuntu; touch /tmp/pwned@192.0.2.1"
    with pytest.raises(BadInput, match="awswiz:ssh-user"):
        ssh.login_user({"awswiz:ssh-user": "x;id"}, "i-0123456789abcdef0")
    assert ssh.login_user({}, "i-0123456789abcdef0") == "ubuntu"


def tagged_instance(sandbox, tags: dict) -> str:
    ec2 = sandbox.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    out = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, TagSpecifications=spec)
    return out["Instances"][0]["InstanceId"]


def test_connect_refuses_a_key_tag_that_leaves_the_keys_folder_and_a_bad_user_tag(sandbox, run_tool, state_dir):
    from conftest import free_port

    port = free_port()  # nothing listens: a connect that got past the tags would fail with exit 1
    (state_dir / "escaped.pem").write_text("planted")
    iid = tagged_instance(sandbox, {"awswiz:key": "../escaped", "awswiz:sandbox-ssh": f"127.0.0.1:{port}"})
    other = tagged_instance(sandbox, {"awswiz:key": "good-key", "awswiz:ssh-user": "x$(id)",
                                      "awswiz:sandbox-ssh": f"127.0.0.1:{port}"})
    (state_dir / "keys").mkdir(mode=0o700)
    (state_dir / "keys" / "good-key.pem").write_text("saved")
    (state_dir / "keys" / "good-key.pem").chmod(0o600)
    try:
        res = run_tool("connect", "--id", iid, "--region", "us-east-1", "--", "true")
        assert res.code == 2 and "awswiz:key" in res.json["errors"][0]["message"], res.stdout + res.stderr
        res = run_tool("connect", "--id", other, "--region", "us-east-1", "--", "true")
        assert res.code == 2 and "awswiz:ssh-user" in res.json["errors"][0]["message"], res.stdout + res.stderr
    finally:
        sandbox.client("ec2").terminate_instances(InstanceIds=[iid, other])


# --- connect: downloads, ~/.ssh/config, known_hosts -------------------------------------------------

def test_connect_never_downloads_into_the_state_directory(sandbox, run_tool, state_dir, tmp_path):
    link = tmp_path / "elsewhere"
    link.symlink_to(state_dir)
    mark = sandbox.mark()
    for dst in (str(state_dir / "known_hosts"), str(state_dir / "keys" / "x.pem"), str(link / "plans"),
                str(state_dir)):
        res = run_tool("connect", "--id", "i-0123456789abcdef0", "--region", "us-east-1", "--copy", ":x", dst)
        assert res.code == 2, res.stdout + res.stderr
        assert "state directory" in res.json["errors"][0]["message"]
    assert [c for c in sandbox.calls(mark) if c["action"] == "DescribeInstances"] == []  # refused before any look
    assert not (state_dir / "known_hosts").exists()


def test_ssh_include_follows_a_symlinked_config(tmp_path, monkeypatch):
    from _awswiz.compute import ssh

    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / "dotfiles").mkdir()
    real = home / "dotfiles" / "ssh_config"
    real.write_text("Host old\n  HostName 192.0.2.1\n")
    (home / ".ssh" / "config").symlink_to(real)
    monkeypatch.setenv("HOME", str(home))
    ssh.include_in_user_config("/st/ssh_config")
    assert (home / ".ssh" / "config").is_symlink()  # the link stays, the file it points at gets the line
    assert real.read_text() == "Include /st/ssh_config\nHost old\n  HostName 192.0.2.1\n"
    dangling = home / ".ssh" / "config"
    dangling.unlink()
    dangling.symlink_to(home / "nowhere")
    import pytest
    from _awswiz.shell.errors import BadInput

    with pytest.raises(BadInput, match="not a file"):
        ssh.include_in_user_config("/st/ssh_config")
    assert not (home / "nowhere").exists()


def test_a_damaged_known_hosts_is_a_clear_error_naming_the_file(tmp_path, monkeypatch):
    import pytest
    from _awswiz.compute import ssh
    from _awswiz.shell import state
    from _awswiz.shell.errors import AwsWizError

    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(tmp_path / "st"))
    for damage in ("[127.0.0.1]:2222 ssh-ed25519 !!!notbase64\n", "10.0.0.1 ssh-ed25519 QUFBQQ==\n", "garbage\n"):
        state.write_text(ssh.known_hosts_path(), "# pins\n" + damage)
        with pytest.raises(AwsWizError) as e:
            ssh._load_known()
        assert e.value.exit_code == 2 and str(ssh.known_hosts_path()) in str(e.value) and "line 2" in str(e.value)


# --- launch: --ssh-cidr ranges, --count against --max ---------------------------------------------

def test_ssh_cidr_half_the_internet_is_warned_like_the_whole(sandbox, run_tool):
    for cidr, warned in (("0.0.0.0/1", True), ("128.0.0.0/1", True), ("0.0.0.0/0", True), ("203.0.0.0/8", True),
                         ("203.0.113.0/24", False), ("10.0.0.0/8", False)):
        res = run_tool("launch", "--type", "g5.xlarge", "--region", "us-east-1", "--ssh-cidr", cidr, "--no-wait")
        assert res.code == 0, res.stdout + res.stderr
        detail = res.json["data"]["plan"][0]["detail"]
        assert bool(detail.get("warnings")) == warned, (cidr, detail.get("warnings"))
        if warned:
            assert "internet" in detail["warnings"][0] and cidr in detail["warnings"][0]


def test_count_counts_against_max(sandbox, run_tool, state_dir):
    mark = sandbox.mark()
    res = run_tool("launch", "--type", "g5.xlarge", "--region", "us-east-1", "--count", "11", "--no-wait")
    assert res.code == 4, res.stdout + res.stderr
    assert "--max 10" in res.json["errors"][0]["message"] and "--max 11" in res.json["errors"][0]["hint"]
    assert sandbox.calls(mark) == []  # refused before anything was asked
    ok = run_tool("launch", "--type", "g5.xlarge", "--region", "us-east-1", "--count", "3", "--max", "3",
                  "--no-wait")
    assert ok.code == 0 and ok.json["data"]["plan"][0]["detail"]["count"] == 3, ok.stdout + ok.stderr
    assert "--max 3" in ok.json["next"][0]
    over = run_tool("launch", "--type", "g5.xlarge", "--region", "us-east-1", "--count", "3", "--max", "2")
    assert over.code == 4


# --- launch into a protected VPC or subnet ---------------------------------------------------------

@pytest.fixture
def prod_network(sandbox):
    """A VPC tagged env=prod with an untagged subnet, and an untagged VPC with a subnet tagged awswiz:protected,
    each in an AZ of us-east-1 that offers g5.xlarge; removed afterwards with anything launched into them."""
    ec2 = sandbox.client("ec2")
    az = ec2.describe_instance_type_offerings(LocationType="availability-zone", Filters=[
        {"Name": "instance-type", "Values": ["g5.xlarge"]}])["InstanceTypeOfferings"][0]["Location"]
    made = []
    for cidr, vtags, stags in (("10.91.0.0/16", {"env": "prod"}, {}),
                               ("10.92.0.0/16", {}, {"awswiz:protected": "true"})):
        vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": [
            {"Key": k, "Value": v} for k, v in {"Name": "t-guard", **vtags}.items()]}])["Vpc"]["VpcId"]
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"), AvailabilityZone=az,
                               TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                                   {"Key": k, "Value": v} for k, v in {"Name": "t-guard", **stags}.items()]}]
                               )["Subnet"]["SubnetId"]
        made.append((vpc, sn))
    yield made
    for vpc, sn in made:
        f = [{"Name": "vpc-id", "Values": [vpc]}]
        ids = [i["InstanceId"] for r in ec2.describe_instances(Filters=f)["Reservations"] for i in r["Instances"]]
        if ids:
            ec2.terminate_instances(InstanceIds=ids)
        for k in ec2.describe_key_pairs(Filters=[{"Name": "tag:Name", "Values": ["awswiz-t-in-prod"]}])["KeyPairs"]:
            ec2.delete_key_pair(KeyName=k["KeyName"])
        for g in ec2.describe_security_groups(Filters=f)["SecurityGroups"]:
            if g["GroupName"] != "default":
                ec2.delete_security_group(GroupId=g["GroupId"])
        ec2.delete_subnet(SubnetId=sn)
        ec2.delete_vpc(VpcId=vpc)


def test_launch_into_a_protected_vpc_or_subnet_needs_the_flag(sandbox, run_tool, prod_network):
    (prod_vpc, prod_vpc_subnet), (_, prod_subnet) = prod_network
    base = ("launch", "--type", "g5.xlarge", "--name", "t-in-prod", "--region", "us-east-1", "--ssh-cidr",
            "192.0.2.44/32", "--no-wait")
    mark = sandbox.mark()
    for where, named in ((["--vpc", prod_vpc], prod_vpc), (["--subnet", prod_vpc_subnet], prod_vpc),
                         (["--subnet", prod_subnet], prod_subnet)):
        res = run_tool(*base, *where)
        assert res.code == 4, res.stdout + res.stderr
        msg = res.json["errors"][0]["message"]
        assert named in msg and "protected" in msg and "--allow-protected-vpc" in msg, msg
        assert res.json["data"]["confirm"] is None and res.json["data"]["plan"][0]["blocked"]
    assert not [c for c in sandbox.calls(mark) if c["action"] in ("CreateSecurityGroup", "ImportKeyPair")]
    ec2 = sandbox.client("ec2")
    inside = [{"Name": "vpc-id", "Values": [v for v, _ in prod_network]}]
    assert ec2.describe_instances(Filters=inside)["Reservations"] == []  # (the plan's RunInstances are DryRuns)
    plan = run_tool(*base, "--vpc", prod_vpc, "--allow-protected-vpc")
    assert plan.code == 0, plan.stdout + plan.stderr
    warnings = plan.json["data"]["plan"][0]["detail"]["warnings"]
    assert any(prod_vpc in w and "env=prod" in w and "--allow-protected-vpc" in w for w in warnings), warnings
    done = run_tool(*base, "--vpc", prod_vpc, "--allow-protected-vpc", "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    iid = done.json["data"]["results"][0]["instances"][0]
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert inst["VpcId"] == prod_vpc


# --- a killed confirm: the re-plan finds what it made ----------------------------------------------

@pytest.fixture
def launches(sandbox):
    from test_launch import clean_launches

    yield
    clean_launches(sandbox)


def of_launch(sandbox, tag_value: str, region: str = "us-east-1") -> dict:
    ec2 = sandbox.client("ec2", region)
    f = [{"Name": "tag:awswiz:launch-of", "Values": [tag_value]}]
    insts = [i for r in ec2.describe_instances(Filters=f)["Reservations"] for i in r["Instances"]
             if i["State"]["Name"] != "terminated"]
    return {"instances": insts, "keys": ec2.describe_key_pairs(Filters=f)["KeyPairs"]}


def tags_of(resource: dict) -> dict:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


@pytest.mark.parametrize("stale", [False, True])
def test_a_confirm_killed_after_the_key_pair_reuses_it_on_the_next_plan(sandbox, run_tool, state_dir, launches,
                                                                         stale):
    from gate import kill_through

    args = ["--type", "g5.xlarge", "--name", "t-kill-key", "--region", "us-east-1", "--ssh-cidr", "192.0.2.61/32",
            "--no-wait"]
    plan = run_tool("launch", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    token = plan.json["data"]["confirm"]
    # killed once ImportKeyPair is answered: the key pair exists, no group, no instance
    assert kill_through(sandbox.url, state_dir, "launch", [*args, "--confirm", token], op="ImportKeyPair") is None
    keys_dir = state_dir / "keys"
    [pem] = list(keys_dir.glob("*.pem"))
    ec2 = sandbox.client("ec2")
    pair = ec2.describe_key_pairs(KeyNames=[pem.stem])["KeyPairs"][0]
    named = [{"Name": "tag:Name", "Values": ["t-kill-key"]}]
    if stale:  # a pair from long ago: its launch id's client tokens may be spent, so a new id is used
        ec2.create_tags(Resources=[pair["KeyPairId"]], Tags=[{"Key": "awswiz:created-at",
                                                              "Value": "2020-01-01T00:00:00+00:00"}])
    named.append({"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]})
    assert [i for r in ec2.describe_instances(Filters=named)["Reservations"] for i in r["Instances"]] == []
    again = run_tool("launch", *args)
    assert again.code == 0, again.stdout + again.stderr
    creates = again.json["data"]["plan"][0]["detail"]["creates"][0]
    assert creates.startswith(f"key pair {pem.stem} ") and "earlier confirm" in creates
    mark = sandbox.mark()
    done = run_tool("launch", *args, "--confirm", again.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert "ImportKeyPair" not in [c["action"] for c in sandbox.calls(mark)]  # the killed run's pair is used
    [inst] = [i for r in ec2.describe_instances(Filters=named)["Reservations"] for i in r["Instances"]]
    pairs = [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"] if k["KeyName"].startswith("awswiz-t-kill")]
    assert inst["KeyName"] == pem.stem and pairs == [pem.stem]  # one key pair, not a second beside the leak
    # the same launch id as the killed confirm (so the same RunInstances ClientTokens), unless the pair is too old
    # to know that no instance used them (EC2 API Reference, "Ensuring idempotency": a client token stays bound
    # for at least 24 hours after its instance is terminated; the same token with other parameters is refused)
    assert (tags_of(inst)["awswiz:launch-id"] == tags_of(pair)["awswiz:launch-id"]) is not stale
    assert [p.name for p in keys_dir.glob("*.pem")] == [pem.name]  # nothing left behind unexplained


def test_a_confirm_killed_after_the_instance_starts_no_second_box(sandbox, run_tool, state_dir, launches):
    from gate import kill_through

    args = ["--type", "g5.xlarge", "--name", "t-kill-box", "--region", "us-east-1", "--ssh-cidr", "192.0.2.62/32"]
    plan = run_tool("launch", *args, "--no-wait")
    assert plan.code == 0, plan.stdout + plan.stderr
    # the confirm rebuilds the plan (with the plan's image: no DryRun again), then launches; killed while it waits
    # for the box
    confirm = [*args, "--wait", "--wait-timeout", "10", "--confirm", plan.json["data"]["confirm"]]
    assert kill_through(sandbox.url, state_dir, "launch", confirm, op="RunInstances", nth=1) is None
    ec2 = sandbox.client("ec2")
    boxes = [i for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["t-kill-box"]}])[
        "Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"]
    assert len(boxes) == 1
    iid = boxes[0]["InstanceId"]
    again = run_tool("launch", *args, "--no-wait")
    assert again.code == 0, again.stdout + again.stderr
    data = again.json["data"]
    assert data["plan"] == [] and data["confirm"] is None
    [seen] = data["skipped"]
    assert seen["id"] == iid and seen["reason"].startswith("exists") and "--name" in seen["reason"]
    assert len(of_launch(sandbox, tags_of(boxes[0])["awswiz:launch-of"])["instances"]) == 1


def test_a_confirm_killed_after_the_group_reuses_it_and_adds_the_rule(sandbox, run_tool, state_dir, launches):
    from gate import kill_through

    cidr = "192.0.2.63/32"
    args = ["--type", "g5.xlarge", "--name", "t-kill-sg", "--region", "us-east-1", "--ssh-cidr", cidr, "--no-wait"]
    plan = run_tool("launch", *args)
    token = plan.json["data"]["confirm"]
    # killed once CreateSecurityGroup is answered: the group exists without its SSH rule
    assert kill_through(sandbox.url, state_dir, "launch", [*args, "--confirm", token], op="CreateSecurityGroup") is None
    ec2 = sandbox.client("ec2")
    named = [{"Name": "group-name", "Values": [f"awswiz-ssh-{cidr}"]}]
    [group] = ec2.describe_security_groups(Filters=named)["SecurityGroups"]
    assert group["IpPermissions"] == []
    again = run_tool("launch", *args)
    assert again.code == 0 and again.json["data"]["plan"], again.stdout + again.stderr  # the region stays usable
    creates = again.json["data"]["plan"][0]["detail"]["creates"]
    assert any(group["GroupId"] in c and "rule is added" in c for c in creates), creates
    done = run_tool("launch", *args, "--confirm", again.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert done.json["data"]["results"][0]["security_group"] == group["GroupId"]
    [after] = ec2.describe_security_groups(Filters=named)["SecurityGroups"]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]])
            for p in after["IpPermissions"]] == [("tcp", 22, 22, [cidr])]


def test_a_malformed_sandbox_ssh_tag_is_no_address():
    from _awswiz.compute import ssh

    def inst(value: str) -> dict:
        return {"Tags": [{"Key": "awswiz:sandbox-ssh", "Value": value}], "PublicIpAddress": None}

    assert ssh.address(inst("127.0.0.1:2222"), True) == ("127.0.0.1", 2222)
    for bad in ("127.0.0.1:x", "127.0.0.1:99999", "evil.example:22", "127.0.0.1:-1", "nope"):
        assert ssh.address(inst(bad), True) is None, bad
