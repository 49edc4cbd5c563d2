"""Pickup: who may fetch a child (pickup persons, their photos), the codeword, the door check."""
