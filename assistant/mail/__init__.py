"""Email follow-up: a hand-off reaches customers who closed the tab, and their replies by email
come back into the case.

    links.py      signed, expiring links back into the conversation, and reply tokens
    compose.py    the emails, from the templates in templates/ (plain text)
    worker.py     sends the store's queued emails over SMTP, skipping what the customer saw
    inbound.py    a customer's emailed reply: the conversation it answers, without the quote
"""
