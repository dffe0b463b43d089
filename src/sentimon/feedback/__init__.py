"""Feedback on earlier predictions: signed tokens, their key, and the replay guard."""
