"""The awareness (presence, cursors) of one room, by the rules of y-protocols.

A state is accepted only when its clock is newer than the one known for its client
(or when it removes a state at the same clock), so the echoes stock y-websocket
clients send back of every state they receive stop here instead of being relayed to
everyone again (one cursor move would otherwise cost N x N messages). A client id
belongs to the connection that announced it first, never to one relaying it; when
that connection ends, its states are removed with a newer clock, so late echoes of
them cannot bring them back.
"""

from __future__ import annotations

from .peers import Peer
from .protocol import AwarenessEntry, user_name


class Presence:
    def __init__(self) -> None:
        self.states: dict[int, AwarenessEntry] = {}
        self._clocks: dict[int, int] = {}
        self._owners: dict[int, Peer] = {}

    def apply(self, peer: Peer, entries: list[AwarenessEntry]) -> list[AwarenessEntry]:
        """Applies what `peer` sent; returns the entries that changed anything."""
        changed = []
        for entry in entries:
            cid = entry.client_id
            known = self._clocks.get(cid, 0)
            newer = known < entry.clock
            removes = known == entry.clock and entry.removed and cid in self.states
            if not (newer or removes):
                continue
            self._clocks[cid] = entry.clock
            owned = self._owners.setdefault(cid, peer) is peer
            if entry.removed:
                self.states.pop(cid, None)
                if owned:
                    del self._owners[cid]
                    peer.awareness_ids.discard(cid)
            else:
                self.states[cid] = entry
                if owned:
                    peer.awareness_ids.add(cid)
                    peer.user = user_name(entry.state_json) or peer.user
            changed.append(entry)
        return changed

    def remove(self, peer: Peer) -> list[AwarenessEntry]:
        """Removes the states `peer` owned; returns the removals to tell the others."""
        gone = []
        for cid in sorted(peer.awareness_ids):
            if self._owners.get(cid) is peer:
                del self._owners[cid]
            if self.states.pop(cid, None) is not None:
                clock = self._clocks.get(cid, 0) + 1
                self._clocks[cid] = clock
                gone.append(AwarenessEntry(cid, clock, "null"))
        peer.awareness_ids.clear()
        return gone

    def all(self) -> list[AwarenessEntry]:
        return list(self.states.values())
