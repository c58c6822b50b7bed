"""Delivering the outbox (SMTP mail, SMS through the provider) and receiving e-mail replies."""
