"""Peer-consultation scheduling (domain and storage; no discord import)."""
