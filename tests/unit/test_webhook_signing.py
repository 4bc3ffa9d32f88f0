"""Webhook signatures and addresses, without a database."""

from __future__ import annotations

import base64

import pytest

from forum.webhooks import signing
from forum.webhooks.addresses import is_public
from forum.webhooks.sender import retry_delay


def test_signatures_match_the_standard_webhooks_example() -> None:
    # The example in Standard Webhooks' specification (and Svix's documentation).
    assert signing.signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                             "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                             '{"test": 2432232314}') == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_secrets_are_fresh_and_long_enough() -> None:
    one, two = signing.new_secret(), signing.new_secret()
    assert one != two and one.startswith("whsec_")
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 24


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.215.14", True), ("2606:4700::1111", True), ("127.0.0.1", False),
    ("10.0.0.1", False), ("172.31.255.255", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False),  # noqa: S104 (an address refused, not bound)
    ("224.0.0.251", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fe80::1%eth0", False), ("fc00::1", False),
    ("::ffff:10.0.0.1", False), ("ff02::1", False),
])
def test_only_public_addresses_may_be_called(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_retries_follow_the_schedule_then_stop() -> None:
    schedule = [5.0, 300.0]
    assert retry_delay(1, schedule, lambda: 1.0).total_seconds() == 5
    assert retry_delay(2, schedule, lambda: 1.1).total_seconds() == pytest.approx(330)
    assert retry_delay(3, schedule) is None
