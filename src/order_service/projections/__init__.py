"""Read models kept current from the events, in the same transaction as each append."""
