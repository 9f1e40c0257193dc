"""Where an applicant's webhook may point: the policy as a table of URLs and addresses."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_address

import pytest

from contracts.webhook_targets import (
    AllowList,
    address_refusal,
    connect_refusal,
    numeric_ipv4,
    public_port,
    read_target,
    target_refusal,
)

NONE = AllowList()


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        # the receivers of the finding
        ("http://127.0.0.1:55432/", "webhook-address"),
        ("http://[::1]/", "webhook-address"),
        ("http://0.0.0.0/", "webhook-address"),
        ("http://localhost/", "webhook-host"),
        ("http://10.0.0.1/", "webhook-address"),
        ("http://169.254.169.254/latest/meta-data/", "webhook-address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "webhook-host"),
        ("http://user:pw@hooks.example.cn/", "webhook-userinfo"),
        ("http://user@hooks.example.cn/", "webhook-userinfo"),
        ("http://:@hooks.example.cn/", "webhook-userinfo"),
        # every spelling of a number is an IPv4 address: only dotted decimal is taken
        ("http://2130706433/", "webhook-host"),
        ("http://0x7f000001/", "webhook-host"),
        ("http://0177.0.0.1/", "webhook-host"),
        ("http://127.1/", "webhook-host"),
        ("http://0x7f.1/", "webhook-host"),
        ("http://0/", "webhook-host"),
        ("http://8.8.8.010/", "webhook-host"),  # octal 010 is 8: not what it looks like
        ("http://256.1.1.1/", "webhook-host"),
        ("http://1.2.3.4.5/", "webhook-host"),
        ("http://hooks.example.123/", "webhook-host"),
        ("http://１２７.０.０.１/", "webhook-address"),  # full-width digits, read as ASCII
        ("http://127.0.0.1./", "webhook-address"),
        # private, shared, link-local, reserved, multicast, documentation ranges
        ("http://172.16.5.4/", "webhook-address"),
        ("http://172.31.255.255/", "webhook-address"),
        ("http://192.168.1.1/", "webhook-address"),
        ("http://100.64.0.1/", "webhook-address"),
        ("http://100.127.255.254/", "webhook-address"),
        ("http://192.0.0.8/", "webhook-address"),
        ("http://192.0.2.1/", "webhook-address"),
        ("http://198.18.0.1/", "webhook-address"),
        ("http://203.0.113.9/", "webhook-address"),
        ("http://224.0.0.1/", "webhook-address"),
        ("http://240.0.0.1/", "webhook-address"),
        ("http://255.255.255.255/", "webhook-address"),
        # IPv6: loopback, unspecified, link-local (also with a zone), ULA, multicast, and
        # the forms that carry an IPv4 address are judged by it
        ("http://[::]/", "webhook-address"),
        ("http://[fe80::1]/", "webhook-address"),
        ("http://[fe80::1%25eth0]/", "webhook-address"),
        ("http://[fd00::1]/", "webhook-address"),
        ("http://[ff02::1]/", "webhook-address"),
        ("http://[::ffff:127.0.0.1]/", "webhook-address"),
        ("http://[::ffff:169.254.169.254]/", "webhook-address"),
        ("http://[::127.0.0.1]/", "webhook-address"),
        ("http://[64:ff9b::10.0.0.1]/", "webhook-address"),
        ("http://[2002:7f00:1::]/", "webhook-address"),
        ("http://[2001:0:4136:e378::1]/", "webhook-address"),  # Teredo
        ("http://[2001:db8::1]/", "webhook-address"),
        ("http://[127.0.0.1]/", "url"),
        # names that never lead to a public receiver
        ("http://LOCALHOST./", "webhook-host"),
        ("http://api.localhost/", "webhook-host"),
        ("http://ｌｏｃａｌｈｏｓｔ/", "webhook-host"),
        ("http://printer.local/", "webhook-host"),
        ("http://nas.home.arpa/", "webhook-host"),
        ("http://1.0.0.127.in-addr.arpa/", "webhook-host"),
        ("http://db.internal/", "webhook-host"),
        ("http://hooks.test/", "webhook-host"),
        ("http://intranet/", "webhook-host"),
        ("http://hooks..example.cn/", "webhook-host"),
        ("http://127.0.0.%31/", "webhook-host"),
        ("http://hooks_example.cn-/", "webhook-host"),
        # ports: 80, 443 and 1024 up, but not the ports of protocols a body could smuggle into
        ("http://hooks.example.cn:22/", "webhook-port"),
        ("http://hooks.example.cn:25/", "webhook-port"),
        ("http://hooks.example.cn:0/", "webhook-port"),
        ("http://hooks.example.cn:5060/", "webhook-port"),
        ("http://hooks.example.cn:6667/", "webhook-port"),
        ("http://hooks.example.cn:99999/", "url"),
        ("http://hooks.example.cn:8o/", "url"),
        # not an http(s) URL, or one parsers read differently
        ("ftp://hooks.example.cn/", "url"),
        ("file:///etc/passwd", "url"),
        ("gopher://127.0.0.1:6379/_INFO", "url"),
        ("https:///no-host", "url"),
        ("hooks.example.cn/x", "url"),
        ("http://hooks.example.cn\\@127.0.0.1/", "url"),
        ("http://hooks.example.cn /x", "url"),
        ("http://hooks.example.cn\t/x", "url"),
        ("http://[::1/", "url"),
    ],
)
def test_a_receiver_that_is_not_public_is_refused_naming_the_rule(url: str, rule: str) -> None:
    refused = target_refusal(url, NONE)
    assert refused is not None, url
    assert refused.rule == rule, str(refused)
    assert str(refused)  # the message says how


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.cn/onewindow?token=s3cret",
        "http://hooks.example.cn/",
        "HTTPS://Hooks.Example.CN:443/x",
        "https://hooks.example.cn.:8443/x",
        "https://hooks.example.cn:1024/x",
        "https://hooks.example.cn:65535/x",
        "http://8.8.8.8/hook",
        "http://[2606:4700:4700::1111]/hook",
        "http://[::ffff:8.8.8.8]/hook",
        "https://政务.example.cn/hook",
        "https://xn--zfr164b.example.cn/hook",
        "https://a-b.c_d.example.cn/hook#fragment",
        "https://hooks.example.cn/localhost/127.0.0.1",
    ],
)
def test_a_public_receiver_is_taken(url: str) -> None:
    assert target_refusal(url, NONE) is None


def test_the_target_is_read_as_the_resolver_will_see_it() -> None:
    target = read_target("HTTPS://Hooks.Example.CN./x")
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.cn", 443)
    assert read_target("http://[::1]:8080/").host == ip_address("::1")
    assert read_target("http://政务.cn/").host == "xn--zfr164b.cn"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0000.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("10.0.0.1.", "10.0.0.1"),
        ("4294967295", "255.255.255.255"),
    ],
)
def test_numbers_are_read_as_inet_aton_reads_them(host: str, address: str) -> None:
    assert numeric_ipv4(host) == IPv4Address(address)


@pytest.mark.parametrize("host", ["4294967296", "1.2.3.4.5", "256.0.0.1", "1.2.65536", "08.1.1.1"])
def test_numbers_that_are_no_address_are_refused(host: str) -> None:
    with pytest.raises(ValueError):
        numeric_ipv4(host)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("100.63.255.255", True),
        ("100.128.0.0", True),
        ("172.15.255.255", True),
        ("172.32.0.0", True),
        ("192.0.1.1", True),
        ("223.255.255.255", True),
        ("2606:4700::1", True),
        ("::ffff:1.1.1.1", True),
        ("64:ff9b::808:808", True),
        ("2002:808:808::1", True),
        ("127.255.255.254", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::", False),
        ("::ffff:10.1.2.3", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b:1::1", False),
        ("2002:a9fe:a9fe::1", False),
        ("fc00::1", False),
        ("fec0::1", False),
        ("100::1", False),
        ("3fff::1", False),
        ("5f00::1", False),
    ],
)
def test_an_address_is_public_only_outside_every_special_range(address: str, public: bool) -> None:
    assert (address_refusal(ip_address(address)) is None) is public


def test_the_ports_a_public_receiver_may_use() -> None:
    assert all(public_port(p) for p in (80, 443, 1024, 8080, 8443, 9000, 65535))
    assert not any(public_port(p) for p in (0, 1, 21, 22, 25, 53, 110, 143, 587, 1023))
    assert not any(public_port(p) for p in (2049, 5060, 5061, 6000, 6667, 6697, 10080))


ALLOW = AllowList.parse("127.0.0.1:8091, 10.20.0.0/16, [fd00::/8]:8443, hooks.corp.example.cn")


@pytest.mark.parametrize(
    ("url", "admitted"),
    [
        ("http://127.0.0.1:8091/results", True),
        ("http://127.0.0.1:55432/", False),  # the address, on another port
        ("http://127.0.0.2:8091/", False),
        ("http://10.20.3.4/", True),
        ("http://10.20.3.4:22/", True),  # a network without a port admits every port
        ("http://10.21.0.1/", False),
        ("https://[fd12::1]:8443/", True),
        ("https://[fd12::1]/", False),
        ("http://hooks.corp.example.cn:8000/", True),
        ("http://HOOKS.corp.example.cn./", True),
        ("http://other.corp.example.cn/", True),  # a public-looking name: resolved later
        ("http://db.internal/", False),
        ("http://user:pw@127.0.0.1:8091/", False),  # credentials: never
        ("http://2130706433:8091/", False),  # only the dotted spelling
    ],
)
def test_the_allow_list_admits_exactly_what_it_names(url: str, admitted: bool) -> None:
    assert (target_refusal(url, ALLOW) is None) is admitted


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("10.0.0.1/8", "host bits set"),
        ("[::1", "[address]"),
        ("127.0.0.1:http", "port"),
        ("127.0.0.1:0", "port"),
        ("hooks.example.cn:70000", "port"),
        ("bad_host!", "host name"),
        ("0x7f000001", "four decimal numbers"),
    ],
)
def test_a_bad_allow_list_entry_is_named(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        AllowList.parse(f"8.8.8.8, {text}")
    assert repr(text) in str(refused.value)


def test_the_allow_list_is_read_from_text_or_a_list_and_written_back() -> None:
    assert AllowList.parse("") == AllowList() == AllowList.parse([])
    parsed = AllowList.parse(" 127.0.0.1:8091,[::1]  hooks.corp.example.cn ")
    assert str(parsed) == "127.0.0.1:8091,[::1],hooks.corp.example.cn"
    assert AllowList.parse(["127.0.0.1:8091", "[::1]", "hooks.corp.example.cn"]) == parsed
    with pytest.raises(ValueError):
        AllowList.parse(42)


@pytest.mark.parametrize(
    ("host", "port", "addresses", "refused"),
    [
        ("hooks.example.cn", 443, ["203.0.114.7"], False),
        ("hooks.example.cn", 443, ["203.0.114.7", "2606:4700::1"], False),
        ("rebind.example.cn", 443, ["127.0.0.1"], True),
        ("rebind.example.cn", 443, ["203.0.114.7", "10.0.0.1"], True),  # every one counts
        ("rebind.example.cn", 443, ["::ffff:169.254.169.254"], True),
        ("rebind.example.cn", 443, [], True),
        ("localhost", 8091, ["127.0.0.1"], False),  # 127.0.0.1:8091 is admitted
        ("localhost", 8092, ["127.0.0.1"], True),
        ("hooks.corp.example.cn", 80, ["192.168.9.9"], False),  # the name is admitted
        ("deep.corp.example.cn", 80, ["10.20.9.9"], False),  # the network is admitted
        ("deep.corp.example.cn", 80, ["10.20.9.9", "10.30.0.1"], True),
    ],
)
def test_at_connect_time_every_resolved_address_must_be_public_or_admitted(
    host: str, port: int, addresses: list[str], refused: bool
) -> None:
    said = connect_refusal(host, port, [ip_address(a) for a in addresses], ALLOW)
    assert (said is not None) is refused, said
