"""NATS JetStream: where the event relay publishes the stored events."""
