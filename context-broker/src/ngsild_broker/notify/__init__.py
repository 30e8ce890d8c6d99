"""Subscriptions and their notifications: validation, storage, matching and delivery."""
