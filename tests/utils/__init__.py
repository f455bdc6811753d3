"""Test helpers shared by the service's tests: database fixtures and factories."""
