"""Where names occur in a block's statements, for linear forward scans.

A pass that looks forward from every statement of a block ("the first later
statement that writes `a`", "the statements that read `t` before that")
would, scanning, take time in the square of the block's length. `Positions`
indexes one fact per statement (the names it binds, say) by name, so each
question costs a binary search.
"""

import bisect


class Positions:
    """Where names occur in one fact of a block's statements (the names each
    binds, say): the next statement after a position with a given name is
    found without scanning the statements between, so passes that look
    forward from every statement stay linear."""

    def __init__(self, facts):
        self.facts = list(facts)
        self.at = {}
        for position, names in enumerate(self.facts):
            for name in names:
                self.at.setdefault(name, []).append(position)

    def next(self, names, after, default):
        """The first position after `after` whose fact holds one of `names`
        (`default` when there is none)."""
        best = default
        for name in names:
            positions = self.at.get(name)
            if positions:
                k = bisect.bisect_right(positions, after)
                if k < len(positions) and positions[k] < best:
                    best = positions[k]
        return best

    def within(self, name, after, last):
        """Positions in (after, last] whose fact holds `name`, in order."""
        positions = self.at.get(name, ())
        return positions[bisect.bisect_right(positions, after):bisect.bisect_right(positions, last)]

    def update(self, position, names):
        """The statement at `position` changed: its fact is now `names`."""
        old = self.facts[position]
        for name in old - names:
            positions = self.at[name]
            del positions[bisect.bisect_left(positions, position)]
        for name in names - old:
            bisect.insort(self.at.setdefault(name, []), position)
        self.facts[position] = names
