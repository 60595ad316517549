"""Reading credit: the heartbeat API and its server-side accounting."""
