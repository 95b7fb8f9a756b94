"""Fakes, builders and paths shared by every test package."""
