"""The services subscribe as contracts/subscriptions.py says (dept_adapter: with the
departments of its default configuration), and the relays watch those groups by default: a
consumer missing there could lose events after a broker loss."""

from __future__ import annotations

from contracts.subscriptions import SUBSCRIPTIONS
from onewindow.commands.contracts import published_services
from runtime.settings import ServiceSettings


def test_every_subscription_of_the_services_is_the_one_written_in_contracts() -> None:
    subscribed = {
        f"{service.name}.{consumer.name}": frozenset(consumer.topics)
        for service in published_services()
        for consumer in service.consumers
    }
    ours = {g: frozenset(topics) for g, topics in SUBSCRIPTIONS.items() if g in subscribed}
    assert subscribed == ours
    assert set(SUBSCRIPTIONS) - set(subscribed) == {"legacy-psb"}  # psb reads its own topic


def test_relays_watch_every_subscription_by_default() -> None:
    assert ServiceSettings.model_construct().kafka_watched_groups == SUBSCRIPTIONS
