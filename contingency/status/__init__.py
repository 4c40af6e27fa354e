"""The public status page: published services, their state, updates, maintenance, subscriptions, publishing."""
