"""Webhooks: signed HTTP calls to other systems when something happens on the desk."""
