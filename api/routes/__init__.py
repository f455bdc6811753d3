"""One router per resource; handlers are thin and call `api.services`."""
