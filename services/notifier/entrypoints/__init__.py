"""The notifier's entry points: its topic subscriptions and the delivery worker."""
