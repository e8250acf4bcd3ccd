"""The SMTP server the order emails go through."""
