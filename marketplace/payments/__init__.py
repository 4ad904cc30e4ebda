"""Payments (issue 6): a Stripe-API client over ``requests`` and webhook signature checks.

``stripe_api.StripeClient`` speaks the Stripe REST API (https://docs.stripe.com/api) to Stripe or
to any compatible server (localstripe in dev and tests); ``webhooks.verify_signature`` checks the
``Stripe-Signature`` header (https://docs.stripe.com/webhooks#verify-manually).
"""
