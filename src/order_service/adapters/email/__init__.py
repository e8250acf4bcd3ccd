"""Email to customers: the words of each order email (Jinja2) and the MIME message."""
