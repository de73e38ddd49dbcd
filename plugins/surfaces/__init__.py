"""One adapter per API shape, the route table and the request guard at the door."""
