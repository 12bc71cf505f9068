"""Children in flight: those being trained, and those waiting for a twin being trained.

A child whose behaviour hash (or, with ``search.fingerprint``, whose fingerprint)
equals that of a child being trained is not trained again: it waits, and is told
the twin's result when it comes back. :class:`InFlight` keeps both lists for the
campaign loop, by id and by the hash they wait on.

Example:
    >>> from symopt.dsl import builtin
    >>> from symopt.runs import Candidate
    >>> def child(id, hash):
    ...     return Candidate(id, 0, builtin("sgd"), "modify", "", 0, hash)
    >>> flight = InFlight()
    >>> flight.train(child(1, "h1"), fingerprint="f1")
    >>> flight.twin_in_training("h1", None), flight.twin_in_training("h9", "f1")
    ('h1', 'h1')
    >>> flight.wait("h1", child(2, "h2"))
    >>> cand, fp, waiters = flight.finish(1)
    >>> cand.id, fp, [w.id for w in waiters], len(flight)
    (1, 'f1', [2], 0)
"""

from __future__ import annotations

from symopt.runs import Candidate

__all__ = ["InFlight"]


class InFlight:
    """The children being trained (by id, with their fingerprints) and those waiting on them."""

    def __init__(self) -> None:
        self.training: dict[int, Candidate] = {}
        self._fingerprints: dict[int, str] = {}
        self.waiting: dict[str, list[Candidate]] = {}  # by the hash of the twin in training

    def __len__(self) -> int:
        """Children being trained (waiting ones not counted: they cost no worker)."""
        return len(self.training)

    def train(self, cand: Candidate, fingerprint: str | None) -> None:
        """Records ``cand`` as submitted for training."""
        self.training[cand.id] = cand
        if fingerprint is not None:
            self._fingerprints[cand.id] = fingerprint

    def twin_in_training(self, hash: str, fingerprint: str | None) -> str | None:
        """The hash of a child in training with this ``hash`` or this ``fingerprint``, if any."""
        if any(c.hash == hash for c in self.training.values()):
            return hash
        if fingerprint is None:
            return None
        return next((self.training[i].hash for i, f in self._fingerprints.items() if f == fingerprint), None)

    def wait(self, twin_hash: str, cand: Candidate) -> None:
        """``cand`` waits for the child in training whose hash is ``twin_hash``."""
        self.waiting.setdefault(twin_hash, []).append(cand)

    def finish(self, id: int) -> tuple[Candidate, str | None, list[Candidate]]:
        """Removes the trained child ``id``: it, its fingerprint, and the children that waited on it."""
        cand = self.training.pop(id)
        return cand, self._fingerprints.pop(id, None), self.waiting.pop(cand.hash, [])

    def all(self) -> tuple[Candidate, ...]:
        """Every child in flight, training then waiting (what a checkpoint keeps)."""
        return tuple(self.training.values()) + tuple(c for cs in self.waiting.values() for c in cs)
