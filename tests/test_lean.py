"""Lean parsing (lean.py) and the record readers (resources.reader): the scan's records are the same whether
botocore parses every member of an answer or only those the scan reads, and a reader answers as JMESPath does.

The answers parsed in-process below are written in the EC2 Query API's own XML (EC2 API Reference, "Query
API" responses: DescribeInstances, DescribeSecurityGroups, DescribeAddresses; element names as in the
reference, e.g. instancesSet/item, instanceState, ipAddress, groupSet, tagSet, ipPermissions/item/ipRanges),
not produced by moto, so what is proved holds for AWS's answers; the subprocess test proves it end to end
against the sandbox, for every type the lab holds.
"""

from __future__ import annotations

import boto3
import jmespath
import pytest
from _awswiz.aws import lean
from _awswiz.inventory import table as resources
from botocore.parsers import ResponseParserFactory

NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'

INSTANCES = f"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse {NS}>
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>i-1234567890abcdef0</instanceId>
          <imageId>ami-bff32ccc</imageId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>
          <keyName>my_keypair</keyName>
          <amiLaunchIndex>0</amiLaunchIndex>
          <instanceType>p4d.24xlarge</instanceType>
          <launchTime>2018-05-08T16:46:19.000Z</launchTime>
          <placement><availabilityZone>eu-west-1c</availabilityZone><groupName/><tenancy>default</tenancy></placement>
          <monitoring><state>disabled</state></monitoring>
          <subnetId>subnet-56f5f633</subnetId>
          <vpcId>vpc-11112222</vpcId>
          <privateIpAddress>192.168.1.88</privateIpAddress>
          <ipAddress>54.194.252.215</ipAddress>
          <sourceDestCheck>true</sourceDestCheck>
          <groupSet>
            <item><groupId>sg-e4076980</groupId><groupName>SecurityGroup1</groupName></item>
            <item><groupId>sg-0aa11bb22</groupId><groupName>ssh</groupName></item>
          </groupSet>
          <architecture>x86_64</architecture>
          <rootDeviceType>ebs</rootDeviceType>
          <rootDeviceName>/dev/xvda</rootDeviceName>
          <blockDeviceMapping>
            <item>
              <deviceName>/dev/xvda</deviceName>
              <ebs><volumeId>vol-1234567890abcdef0</volumeId><status>attached</status>
                <attachTime>2015-12-22T10:44:09.000Z</attachTime><deleteOnTermination>true</deleteOnTermination></ebs>
            </item>
            <item>
              <deviceName>/dev/sdf</deviceName>
              <ebs><volumeId>vol-0fedcba9876543210</volumeId><status>attached</status>
                <attachTime>2015-12-22T10:44:09.000Z</attachTime><deleteOnTermination>false</deleteOnTermination></ebs>
            </item>
          </blockDeviceMapping>
          <instanceLifecycle>spot</instanceLifecycle>
          <virtualizationType>hvm</virtualizationType>
          <tagSet>
            <item><key>Name</key><value>trainer </value></item>
            <item><key>awswiz:protected</key><value>true</value></item>
          </tagSet>
          <hypervisor>xen</hypervisor>
          <networkInterfaceSet>
            <item>
              <networkInterfaceId>eni-551ba033</networkInterfaceId>
              <subnetId>subnet-56f5f633</subnetId>
              <vpcId>vpc-11112222</vpcId>
              <ownerId>123456789012</ownerId>
              <status>in-use</status>
              <macAddress>02:dd:2c:5e:01:69</macAddress>
              <privateIpAddress>192.168.1.88</privateIpAddress>
              <sourceDestCheck>true</sourceDestCheck>
              <groupSet><item><groupId>sg-e4076980</groupId><groupName>SecurityGroup1</groupName></item></groupSet>
              <attachment><attachmentId>eni-attach-39697adc</attachmentId><deviceIndex>0</deviceIndex>
                <status>attached</status><attachTime>2018-05-08T16:46:19.000Z</attachTime>
                <deleteOnTermination>true</deleteOnTermination></attachment>
              <association><publicIp>54.194.252.215</publicIp><ipOwnerId>amazon</ipOwnerId></association>
              <privateIpAddressesSet><item><privateIpAddress>192.168.1.88</privateIpAddress>
                <primary>true</primary></item></privateIpAddressesSet>
            </item>
          </networkInterfaceSet>
          <ebsOptimized>false</ebsOptimized>
          <cpuOptions><coreCount>1</coreCount><threadsPerCore>1</threadsPerCore></cpuOptions>
        </item>
        <item>
          <instanceId>i-0598c7d356eba48d7</instanceId>
          <instanceState><code>80</code><name>stopped</name></instanceState>
          <instanceType>t3.micro</instanceType>
          <launchTime>2024-01-02T03:04:05.000Z</launchTime>
          <placement><availabilityZone>eu-west-1a</availabilityZone></placement>
          <blockDeviceMapping/>
          <groupSet/>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
  <nextToken>eyJ2IjoiMiIsImMiOiJleGFtcGxlIn0=</nextToken>
</DescribeInstancesResponse>"""

GROUPS = f"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeSecurityGroupsResponse {NS}>
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <securityGroupInfo>
    <item>
      <ownerId>123456789012</ownerId>
      <groupId>sg-1a2b3c4d</groupId>
      <groupName>WebServers</groupName>
      <groupDescription>Web Servers</groupDescription>
      <vpcId>vpc-11112222</vpcId>
      <ipPermissions>
        <item>
          <ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>
          <groups/>
          <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp><description>anyone</description></item></ipRanges>
          <ipv6Ranges/><prefixListIds/>
        </item>
        <item>
          <ipProtocol>-1</ipProtocol>
          <groups><item><userId>123456789012</userId><groupId>sg-9z8y7x6w</groupId></item></groups>
          <ipRanges/>
        </item>
        <item>
          <ipProtocol>tcp</ipProtocol><fromPort>8000</fromPort><toPort>8100</toPort>
          <groups/><ipRanges/>
          <ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges>
        </item>
      </ipPermissions>
      <ipPermissionsEgress>
        <item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>
      </ipPermissionsEgress>
      <tagSet><item><key>team</key><value>ml</value></item></tagSet>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>"""

ADDRESSES = f"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeAddressesResponse {NS}>
  <requestId>f7de5e98-491a-4c19-a92d-908d6EXAMPLE</requestId>
  <addressesSet>
    <item>
      <publicIp>203.0.113.41</publicIp><allocationId>eipalloc-08229861</allocationId><domain>vpc</domain>
      <instanceId>i-0598c7d356eba48d7</instanceId><associationId>eipassoc-f0229899</associationId>
      <networkInterfaceId>eni-ef229886</networkInterfaceId><networkInterfaceOwnerId>053230519467</networkInterfaceOwnerId>
      <privateIpAddress>10.0.0.228</privateIpAddress>
    </item>
    <item><publicIp>198.51.100.7</publicIp><allocationId>eipalloc-1</allocationId><domain>vpc</domain></item>
  </addressesSet>
</DescribeAddressesResponse>"""


@pytest.fixture(scope="module")
def ec2():
    return boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="eu-west-1").client("ec2")


def parse_both(ec2, row, body: str):
    """(full, lean) parsed answers: botocore's parser over the operation's output shape, and over the lean one."""
    op = ec2.meta.service_model.operation_model(ec2.meta.method_to_api_mapping[row.call])
    response = {"body": body.encode(), "headers": {}, "status_code": 200}
    parser = ResponseParserFactory().create_parser("ec2")
    full = parser.parse(dict(response), op.output_shape)
    cut = lean._cut(op.output_shape, lean.tree(row.items, resources.reads(row)))
    return full, parser.parse(dict(response), cut)


@pytest.mark.parametrize("type_, body", [("ec2:instance", INSTANCES), ("vpc:security-group", GROUPS),
                                         ("ec2:elastic-ip", ADDRESSES)])
def test_an_aws_answer_parsed_lean_gives_the_same_records(ec2, type_, body):
    row = resources.BY_TYPE[type_]
    full, cut = parse_both(ec2, row, body)
    full_items, lean_items = jmespath.search(row.items, full), jmespath.search(row.items, cut)
    assert len(full_items) == len(lean_items) >= 1
    assert [resources.to_record(row, i, "eu-west-1") for i in lean_items] == \
        [resources.to_record(row, i, "eu-west-1") for i in full_items]
    # less was parsed: members nobody reads are absent from the lean items (and present in the full ones)
    assert sum(map(len, lean_items)) < sum(map(len, full_items))


def test_lean_instances_drop_what_the_scan_does_not_read_and_keep_the_page_token(ec2):
    row = resources.BY_TYPE["ec2:instance"]
    full, cut = parse_both(ec2, row, INSTANCES)
    assert cut["NextToken"] == full["NextToken"]  # the paginator still finds the next page
    first_full, first = full["Reservations"][0]["Instances"][0], cut["Reservations"][0]["Instances"][0]
    assert "NetworkInterfaces" in first_full and "NetworkInterfaces" not in first
    assert "OwnerId" in full["Reservations"][0] and "OwnerId" not in cut["Reservations"][0]
    assert first["BlockDeviceMappings"] == [{"Ebs": {"VolumeId": "vol-1234567890abcdef0"}},
                                            {"Ebs": {"VolumeId": "vol-0fedcba9876543210"}}]
    assert first["LaunchTime"] == first_full["LaunchTime"]  # the same datetime, parsed the same way
    rec = resources.to_record(row, first, "eu-west-1")
    assert rec["market"] == "spot" and rec["tags"]["Name"] == "trainer " and rec["public_ip"] == "54.194.252.215"


def test_lean_groups_keep_every_rule(ec2):
    """open_to_world and references come from IpPermissions: a cut there would hide an open port."""
    full, cut = parse_both(ec2, resources.BY_TYPE["vpc:security-group"], GROUPS)
    g_full, g = full["SecurityGroups"][0], cut["SecurityGroups"][0]
    assert g["IpPermissions"] == g_full["IpPermissions"]
    assert "IpPermissionsEgress" not in g and "OwnerId" not in g
    rec = resources.to_record(resources.BY_TYPE["vpc:security-group"], g, "eu-west-1")
    assert rec["open_to_world"] == ["22", "8000-8100"] and rec["references"] == ["sg-9z8y7x6w"]


def test_paths_that_are_not_plain_chains_cut_nothing():
    assert lean.chain("Reservations[].Instances[].State.Name") == ["Reservations", "Instances", "State", "Name"]
    assert lean.chain("@") == []
    assert lean.chain("Tags[?Key=='Name'].Value | [0]") is None
    assert lean.tree("Vpcs[]", ["VpcId", "Tags[?Key=='x']"]) == {}
    assert lean.tree("Vpcs[]", ["VpcId", "State", "Tags"]) == {"Vpcs": {"VpcId": True, "State": True, "Tags": True}}
    assert lean.tree("clusterArns[]", ["@"]) == {"clusterArns": True}  # the item itself: kept whole
    assert lean.tree("A[]", ["B.C", "B"]) == {"A": {"B": True}}  # reading B whole wins over B.C


ITEMS = [
    {}, {"A": None}, {"A": "x"}, {"A": []}, {"A": [None, {"B": None}, {"B": {"C": 1}}, {"B": {"C": None}}]},
    {"A": [[{"B": {"C": 2}}], {"B": {"C": 3}}, [[{"B": {"C": 4}}]]]}, {"A": {"B": {"C": 5}}},
    {"State": {"Name": "running"}, "Placement": {"AvailabilityZone": "eu-west-1a"}}, {"State": "available"},
    {"BlockDeviceMappings": [{"Ebs": {"VolumeId": "vol-1"}}, {"DeviceName": "/dev/sdb"}]}, "a string", None, 7,
]
PATHS = sorted({p for row in resources.ROWS for p in resources.reads(row)} | {"A[].B.C", "A.B.C", "A[].B", "A"})


@pytest.mark.parametrize("path", PATHS)
def test_a_reader_answers_as_jmespath(path):
    def outcome(read, item):
        try:
            return read(item)
        except Exception as exc:  # noqa: BLE001 - a function over the wrong type fails alike both ways
            return type(exc)

    for item in ITEMS:
        assert outcome(resources.reader(path), item) == outcome(lambda i: jmespath.search(path, i), item), (path, item)


def test_the_scan_finds_the_same_records_lean_or_not(run_tool, sandbox):
    """End to end, on the lab in three regions: AWSWIZ_LEAN=0 (botocore parses everything) and the default
    give the same records, for every type the lab holds."""
    regions = "us-east-1,us-west-2,eu-west-1"
    full = run_tool("scan", "--region", regions, env={"AWSWIZ_LEAN": "0"})
    cut = run_tool("scan", "--region", regions)
    assert full.code == cut.code == 0, cut.stderr
    assert cut.json["data"]["resources"] == full.json["data"]["resources"]
    assert len({r["type"] for r in cut.json["data"]["resources"]}) >= 12
