"""HTTP request and response bodies, and their mapping from the application's views."""
