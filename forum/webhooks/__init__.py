"""Webhooks: company owners register endpoints that hear of chosen events, signed as
Standard Webhooks are, retried with backoff, and listed with their answers.

The dispatcher (dispatcher.py) follows the event log and queues deliveries; the sender
(sender.py) sends them from `flask worker` (or a thread of `flask run`), never from a
request. Which events go out, and with what data, is registered through the plug-in
seam (forum.hooks.WebhookEvent): forum's post.created in views.py, ideas' own in
ideas. `configure_webhooks` (views.py) wires it into the app.
"""
